"""Regenerate examples/plan-example.xlsx (the example plan workbook described in README.md).

.venv/bin/python examples/make_plan_example.py
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

from excel.example import example_workbook  # noqa: E402

if __name__ == "__main__":
    target = ROOT / "examples" / "plan-example.xlsx"
    example_workbook().save(str(target))
    print(f"wrote {target}")
