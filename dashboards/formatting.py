"""Numbers as people read them on pages, charts and exports."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def format_number(value: Decimal | float | int | None, places: int = 4) -> str:
    """A plain number for people: no exponent, no trailing zeros, at most ``places`` decimals."""
    if value is None:
        return "—"
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
