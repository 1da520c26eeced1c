"""Writes of the archive, one service per action (archives.services.schemes, .filing)."""

from archives.services.filing import filing_create, filing_move, filing_remove, filing_update
from archives.services.schemes import (
    archive_open,
    category_save,
    default_scheme_data,
    default_scheme_install,
    item_delete,
    item_save,
    scheme_copy,
    scheme_update,
    volume_save,
)

__all__ = [
    "archive_open",
    "category_save",
    "default_scheme_data",
    "default_scheme_install",
    "filing_create",
    "filing_move",
    "filing_remove",
    "filing_update",
    "item_delete",
    "item_save",
    "scheme_copy",
    "scheme_update",
    "volume_save",
]
