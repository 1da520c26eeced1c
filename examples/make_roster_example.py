"""Regenerate examples/roster-example.xlsx (the example roster of schools and staff).

.venv/bin/python examples/make_roster_example.py
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planhub.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from excel.example_roster import example_roster_workbook  # noqa: E402

if __name__ == "__main__":
    target = ROOT / "examples" / "roster-example.xlsx"
    example_roster_workbook().save(str(target))
    print(f"wrote {target}")
