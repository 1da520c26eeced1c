"""``fixed``: Django's ``floatformat`` for the few fixed formats the dashboards print.

A dashboard prints hundreds of percentages and bar positions per page (a Gantt row has four), and
``floatformat`` localises each one: on the school dashboard it was about a tenth of the page's CPU.
``{{ x|fixed:0 }}`` gives what ``{{ x|floatformat:0 }}`` gives, ``fixed:1`` and ``fixed:2`` what
``floatformat:'1u'`` and ``'2u'`` give (rounded half up on the number's decimal form, no thousands
separator; tests/dashboards/test_fixed_filter.py holds them equal)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()

_STEPS = {0: Decimal(1), 1: Decimal("0.1"), 2: Decimal("0.01")}


@register.filter
def fixed(value: Any, places: int = 0) -> str:
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
        if not number.is_finite():
            return ""  # never a percentage; floatformat would print "nan" into an attribute
        text = f"{number.quantize(_STEPS[int(places)], rounding=ROUND_HALF_UP):f}"
    except (InvalidOperation, ValueError, TypeError, KeyError):
        return ""
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text
