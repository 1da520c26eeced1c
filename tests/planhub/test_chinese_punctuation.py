"""Chinese sentences use full-width punctuation (，：；（）) in templates and in the apps' strings.

The rule and the fixer live in tests/planhub/punctuation.py (`python -m tests.planhub.punctuation
--fix` rewrites what this test finds). Times (12:30), codes and English stay ASCII: only
punctuation touching Chinese is flagged.
"""

from __future__ import annotations

from tests.planhub.punctuation import DEFERRED, ROOT, files, findings, fix_text


def test_no_ascii_punctuation_in_chinese_text():
    found = findings()
    assert found == {}, "run: .venv/bin/python -m tests.planhub.punctuation --fix"


def test_the_rule_leaves_times_codes_and_english_alone():
    assert fix_text("会议定于 12:30 开始") == "会议定于 12:30 开始"
    assert fix_text("user:{pk}") == "user:{pk}"
    assert fix_text("see (docs), then run it") == "see (docs), then run it"
    assert fix_text("已完成,请审核。原因:无") == "已完成，请审核。原因：无"
    assert fix_text("佐证材料(可多选,单个文件不超过 20 MB)") == "佐证材料（可多选，单个文件不超过 20 MB）"
    assert fix_text("自由软件(AGPL-3.0-or-later)") == "自由软件（AGPL-3.0-or-later）"


def test_nothing_is_deferred_and_models_are_scanned():
    # Every app follows the rule now, model labels included (they once waited for their migrations).
    assert DEFERRED == ()
    scanned = {p.relative_to(ROOT).as_posix() for p in files()}
    assert {"acceptance/models.py", "excel/reader.py", "bench/scale.py", "templates/workflows/inbox.html"} <= scanned
