"""Mobile phone numbers as people type them (full-width digits, spaces, dashes, +86)."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(raw: str) -> str:
    """The 11-digit mainland mobile number in ``raw``, or "" for blank; ValueError if it is not one."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    text = re.sub(r"[\s\-()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    if not text:
        return ""
    if not _MOBILE.match(text):
        raise ValueError(f"“{raw}”不是有效的手机号（应为 11 位数字，以 1 开头）。")
    return text
