"""Error pages, in Chinese, in the site's own look."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message, "status": status}, status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "请求无效", "请求的内容无法处理，请返回上一页重试。")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = getattr(exception, "message", None) or "您没有权限访问此页面或执行此操作。"
    return _error(request, 403, "无权访问", str(message))


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "页面不存在", "您要找的内容不存在，或您无权查看。")


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "error.html",
        {"title": "服务器出错", "message": "系统暂时出现问题，已记录。请稍后重试。", "status": 500},
        status=500,
    )
