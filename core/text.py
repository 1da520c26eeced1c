"""Bounded text: a value longer than its model field allows is refused with a message, never cut."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from core.errors import DomainError


def max_length_of(model: type[models.Model], field: str) -> int:
    """The field's max_length (the one place the limit is declared)."""
    return int(getattr(model._meta.get_field(field), "max_length", 0) or 0)


def too_long_message(label: str, limit: int, length: int) -> str:
    return f"{label}最多 {limit} 个字，现有 {length} 个字，请缩短。"


def bounded(value: str | None, model: type[models.Model], field: str, label: str = "") -> str:
    """``value`` stripped; DomainError when it is longer than ``model.field`` allows.

    Every path that stores a title or a name (forms, imports, bulk creation, edits) passes here,
    so a long title is refused the same way everywhere instead of being silently shortened.
    """
    text = (value or "").strip()
    limit = max_length_of(model, field)
    if limit and len(text) > limit:
        name = label or str(getattr(model._meta.get_field(field), "verbose_name", field))
        raise DomainError(too_long_message(name, limit, len(text)))
    return text


class BoundedCharField(forms.CharField):
    """A text field whose limit is enforced by the server, with a message: no ``maxlength``
    attribute, which would let the browser cut a pasted title silently."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        name = str(self.label or "内容").replace("%", "%%")
        self.error_messages["max_length"] = f"{name}最多 %(limit_value)d 个字，现有 %(show_value)d 个字，请缩短。"

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs
