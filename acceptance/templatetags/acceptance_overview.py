"""Paging of 评估验收总览 (templates/acceptance/overview.html): a county has hundreds of schools, and
rendering every row made the page's time grow with the county (bench acceptance). The selector
still reads every visible row in one query (filters and sorting apply to the whole county); the
page shows PAGE_SIZE of them, the page number in the URL beside the filters."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.paginator import Page, Paginator

register = template.Library()

PAGE_SIZE = 100


@register.simple_tag
def overview_page(rows: list[Any], request: Any) -> Page[Any]:
    """The page of ``rows`` named by ``?page=`` (the last page for a number past it, the first for
    anything that is not a number)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
