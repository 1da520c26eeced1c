"""The Django admin in Chinese where the installed libraries (django-axes, django-otp,
django-guardian's object-permission models) ship no zh-hans text: their app, model and field
names, help texts, fieldset titles and search hints are replaced from one table when the project
starts. Django's own few untranslated admin strings are in locale/zh_Hans (LOCALE_PATHS)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

APP_NAMES = {"axes": "登录保护", "otp_static": "备用验证码", "otp_totp": "动态验证码", "guardian": "对象权限"}

TEXT = {
    # django-axes
    "access attempt": "登录尝试",
    "access attempts": "登录尝试",
    "access failure": "登录失败",
    "access failures": "登录失败",
    "access log": "登录记录",
    "access logs": "登录记录",
    "attempt time": "尝试时间",
    "ip address": "IP 地址",
    "user agent": "浏览器标识",
    "logout time": "退出时间",
    "path": "路径",
    "http accept": "HTTP Accept 头",
    "username": "用户名",
    "get data": "GET 数据",
    "post data": "POST 数据",
    "failed logins": "失败次数",
    "session hash": "会话摘要",
    "locked out": "已锁定",
    "meta data": "请求信息",
    "form data": "表单数据",
    "identity": "身份",
    "timestamps": "时间",
    "throttling": "限流",
    "configuration": "配置",
    "state": "状态",
    "search by user's 用户名 or 电子邮件地址": "按用户名或电子邮件地址搜索",
    # django-otp
    "totp device": "动态验证码设备",
    "totp devices": "动态验证码设备",
    "static device": "备用验证码设备",
    "static devices": "备用验证码设备",
    "static token": "备用验证码",
    "static tokens": "备用验证码",
    "token": "验证码",
    "user": "用户",
    "name": "名称",
    "confirmed": "已确认",
    "key": "密钥",
    "step": "步长",
    "t0": "起始时间",
    "digits": "位数",
    "tolerance": "容差",
    "drift": "漂移",
    "last t": "上次步数",
    "created at": "创建时间",
    "last used at": "最近使用时间",
    "throttling failure timestamp": "最近一次验证失败时间",
    "throttling failure count": "连续失败次数",
    "device": "设备",
    "the human-readable name of this device.": "设备名称，便于识别。",
    "is this device ready for use?": "设备是否已可使用。",
    "the user that this device belongs to.": "设备所属用户。",
    "a hex-encoded secret key of up to 40 bytes.": "十六进制编码的密钥，最多 40 字节。",
    "the time step in seconds.": "时间步长（秒）。",
    "the unix time at which to begin counting steps.": "开始计步的 Unix 时间。",
    "the number of digits to expect in a token.": "验证码位数。",
    "the number of time steps in the past or future to allow.": "允许前后偏差的时间步数。",
    "the number of time steps the prover is known to deviate from our clock.": "设备时钟与服务器相差的时间步数。",
    "the last time step we verified.": "上次验证的时间步。",
    "a timestamp of the last failed verification attempt. null if last attempt succeeded.": (
        "最近一次验证失败的时间；最近一次成功则为空。"
    ),
    "number of successive failed attempts.": "连续验证失败的次数。",
    "the date and time when this device was initially created in the system.": "设备创建的日期和时间。",
    "the most recent date and time this device was used.": "设备最近一次使用的日期和时间。",
    # django-guardian's object-permission rows (the project's own subclasses)
    "plan group object permission": "方案组对象权限",
    "plan group object permissions": "方案组对象权限",
    "plan user object permission": "方案用户对象权限",
    "plan user object permissions": "方案用户对象权限",
    "organisation group object permission": "单位组对象权限",
    "organisation group object permissions": "单位组对象权限",
    "organisation user object permission": "单位用户对象权限",
    "organisation user object permissions": "单位用户对象权限",
    "permission": "权限",
    "group": "组",
    "content object": "对象",
    "content type": "内容类型",
    "object pk": "对象编号",
    "plan": "方案",
    "organisation": "单位",
    "content object:": "对象：",
}


def _zh(value: Any) -> Any:
    """The Chinese of an admin text, as a lazy translation of the library's own English.

    Lazy on purpose: with translations off (makemigrations runs so) it reads as the original
    English, so the models' migration state is unchanged; in a request it reads as the Chinese of
    locale/zh_Hans (whose entries tests/planhub/test_admin_chinese.py keeps in step with TEXT)."""
    if value is None or isinstance(value, Promise):
        return value
    text = str(value)
    return gettext_lazy(text) if text.strip().lower() in TEXT else value


def _plain(value: Any) -> Any:
    text = str(value) if value is not None else ""
    return TEXT.get(text.strip().lower(), value)


def _fieldsets(fieldsets: Any) -> Any:
    if not fieldsets:
        return fieldsets
    return tuple((_plain(title) if title else title, options) for title, options in fieldsets)


def translate_admin() -> None:
    """Make the admin show Chinese for the libraries' apps, models, fields and fieldsets."""
    for label, name in APP_NAMES.items():
        config = apps.app_configs.get(label)
        if config is not None:
            config.verbose_name = name
    for model, model_admin in admin.site._registry.items():
        for each in [model, *(inline.model for inline in model_admin.inlines)]:
            _translate_model(each)
        model_admin.fieldsets = _fieldsets(getattr(model_admin, "fieldsets", None))
        # Some libraries build their fieldsets per request (django-otp's TOTP admin).
        model_admin.get_fieldsets = _translated_fieldsets(model_admin.get_fieldsets)  # type: ignore[method-assign]
        if getattr(model_admin, "search_help_text", None):
            model_admin.search_help_text = _plain(model_admin.search_help_text)


def _translated_fieldsets(original: Any) -> Any:
    def get_fieldsets(request: Any, obj: Any = None) -> Any:
        return _fieldsets(original(request, obj))

    return get_fieldsets


def _translate_model(model: Any) -> None:
    opts = model._meta
    for name in ("verbose_name", "verbose_name_plural"):
        # A name the model's Meta declares is part of its migration state: wrapped lazily.
        # One derived from the class name is not: replaced outright.
        value = getattr(opts, name)
        setattr(opts, name, _zh(value) if name in opts.original_attrs else _plain(value))
    for field in opts.get_fields():
        if hasattr(field, "verbose_name"):
            field.verbose_name = _zh(field.verbose_name)
        if getattr(field, "help_text", ""):
            field.help_text = _zh(field.help_text)


def catalogue_entries() -> list[tuple[str, str]]:
    """(English as the libraries spell it, Chinese) for every admin text translate_admin wraps:
    what locale/zh_Hans/LC_MESSAGES/django.po must hold."""
    seen: dict[str, str] = {}
    models = {m for m, ma in admin.site._registry.items()} | {
        inline.model for ma in admin.site._registry.values() for inline in ma.inlines
    }
    for model in models:
        opts = model._meta
        texts = [getattr(opts, name) for name in ("verbose_name", "verbose_name_plural") if name in opts.original_attrs]
        for field in opts.get_fields():
            texts += [getattr(field, "verbose_name", None), getattr(field, "help_text", None)]
        for text in texts:
            if isinstance(text, Promise) and not isinstance(text, str):
                english = str(getattr(text, "_args", [text])[0]) if hasattr(text, "_args") else None
                if english and english.strip().lower() in TEXT:
                    seen[english] = TEXT[english.strip().lower()]
    return sorted(seen.items())
