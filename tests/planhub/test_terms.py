"""One term per thing (issue 15, point 7): the pages and exports name each thing with one word.

GLOSSARY maps the chosen term (DOMAIN.md's words and the seeds') to the synonyms it replaces. The
test greps every template and every app module's source (migrations and tests aside) for a
rejected synonym. ALLOWED lists the places where a rejected word is right: the workbook readers
accept the words schools really type in their column headers and map them to ours.

Two pairs that look alike are different things and both stay:
- 评估表 is a plan's acceptance form (its criteria); 评分表 is the inspectors' scoring workbook
  exported for one round of one inspection.
- 截止日期 is a task's (or a rectification item's) deadline; 结束日期 ends a stage's or plan's
  window; 完成时间 is when a task was actually closed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# chosen term -> synonyms the UI and exports must not use for the same thing
GLOSSARY: dict[str, tuple[str, ...]] = {
    "佐证材料": ("证明材料", "附件", "证据材料", "佐证文件"),
    "责任人": ("负责人", "承办人", "经办人"),
    "截止日期": ("截止时间", "到期日", "期限", "完成时限"),
    "评估要点": ("评估指标", "评估项目", "考核要点"),
    "待办": ("待处理",),
    "中心学校": ("中心校",),
    "成员": ("组员",),
    "退回": ("打回",),
}

# file (relative to the repository) -> synonyms it may contain, and why
ALLOWED: dict[str, tuple[str, ...]] = {
    # header aliases: the import reads the words schools type and maps them to ours
    "excel/reader.py": ("负责人", "承办人", "经办人", "截止时间", "完成时限", "评估指标", "评估项目", "考核要点"),
    "excel/roster_reader.py": ("中心校", "组员"),
    "excel/cells.py": ("组员",),
    # 佐证文件名 is the stored file's name, not the evidence itself
    "acceptance/models.py": ("佐证文件",),
}

APPS = (
    "accounts", "acceptance", "archives", "audit", "core", "dashboards", "demo", "excel",
    "history", "notifications", "orgs", "planhub", "plans", "tasks", "workflows",
)  # fmt: skip

# 中心校 is a prefix of 中心学校 only when followed by 学; the others are plain substrings
PATTERNS = {
    word: re.compile(re.escape(word) + ("(?!学)" if word == "中心校" else ""))
    for syns in GLOSSARY.values()
    for word in syns
}


def _sources() -> list[Path]:
    files = sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "static" / "js").rglob("*.js"))
    for app in APPS:
        files += [p for p in sorted((ROOT / app).rglob("*.py")) if "migrations" not in p.parts]
    return files


def _hits(path: Path) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    allowed = ALLOWED.get(rel, ())
    text = path.read_text(encoding="utf-8")
    found = []
    for word, pattern in PATTERNS.items():
        if word in allowed:
            continue
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{rel}:{line}: {word}")
    return found


def test_no_rejected_synonym_in_pages_code_or_exports():
    # given every template, script and app module; when grepped; then no rejected synonym remains
    hits = [hit for path in _sources() for hit in _hits(path)]
    assert not hits, "use the glossary's term instead:\n" + "\n".join(hits)


def test_allow_list_is_still_needed():
    # an allow-list entry that no longer matches would hide a future regression: keep it exact
    for rel, words in ALLOWED.items():
        text = (ROOT / rel).read_text(encoding="utf-8")
        for word in words:
            assert PATTERNS[word].search(text), f"{rel} no longer contains {word}: drop it from ALLOWED"


@pytest.mark.parametrize("word", sorted(PATTERNS))
def test_the_check_catches_each_synonym(tmp_path, word):
    # the grep can fail: a template using the synonym is reported
    page = ROOT / "templates" / "_terms_probe.html"
    try:
        page.write_text(f"<p>{word}：2026-01-01</p>", encoding="utf-8")
        assert _hits(page)
    finally:
        page.unlink()
