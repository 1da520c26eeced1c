"""Full-width punctuation in Chinese text: the rule, the scanner the test uses, and the fixer.

In a Chinese sentence the comma, colon, semicolon and brackets are full-width (，：；（）). An ASCII
`, : ; ( )` written right next to a CJK character (or bracketing one) is flagged; text with no CJK
neighbour (times such as 12:30, code, English) is left alone. Python is scanned inside its string
literals only, and only in mostly Chinese ones (raw strings, regular expressions as a rule, and
English docstrings that name a Chinese term are skipped), templates outside their
{% %} and {{ }} tags and outside <script> and <style>.

    .venv/bin/python -m tests.planhub.punctuation [--fix] [paths...]

lists (or fixes) what the rule finds; tests/planhub/test_chinese_punctuation.py runs it.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "audit", "orgs", "accounts", "plans", "notifications", "tasks", "workflows", "acceptance",
        "dashboards", "excel", "history", "demo", "planhub", "bench", "archives")
FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff5e\u201c\u201d\u2018\u2019\u2026\u00b7]")
# Nothing is deferred any more: every app, template and model label follows the rule (the tuple
# stays for a change that must land in two steps).
DEFERRED: tuple[str, ...] = ()
TEMPLATE_SKIP = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|<script\b.*?</script>|<style\b.*?</style>", re.S)


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(CJK.match(ch))


def fix_text(text: str) -> str:
    """``text`` with every ASCII , : ; ( ) that touches Chinese made full-width (brackets in pairs)."""
    chars = list(text)
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, ch in enumerate(chars):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            opening = stack.pop()
            pairs[opening], pairs[i] = i, opening
    flip: set[int] = set()
    for i, ch in enumerate(chars):
        if ch not in FULL:
            continue
        before = chars[i - 1] if i else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if ch in ",;:" and (_is_cjk(before) or _is_cjk(after)):
            flip.add(i)
        elif ch in "()" and i in pairs:
            o, c = min(i, pairs[i]), max(i, pairs[i])
            inside = "".join(chars[o + 1 : c])
            touches = _is_cjk(chars[o - 1] if o else "") or _is_cjk(chars[o + 1] if o + 1 < len(chars) else "")
            touches = touches or _is_cjk(chars[c - 1]) or _is_cjk(chars[c + 1] if c + 1 < len(chars) else "")
            if touches and CJK.search(inside + (chars[o - 1] if o else "")):
                flip.update((o, c))
    return "".join(FULL[ch] if i in flip else ch for i, ch in enumerate(chars))


def _chinese(literal: str) -> bool:
    """More Chinese characters than Latin letters, outside {expressions} and %(name)s placeholders."""
    words = re.sub(r"\{[^{}]*\}|%\([a-z_]+\)[sd]", "", literal)
    return len(CJK.findall(words)) > len(re.findall(r"[A-Za-z]", words[1:]))


def _python_strings(source: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the string literals of ``source`` that are not raw strings."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    spans = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.STRING:
            continue
        prefix = re.match(r"[A-Za-z]*", token.string).group(0).lower()
        if "r" in prefix or "b" in prefix:
            continue
        if not _chinese(token.string):
            continue  # English (a docstring naming 组长 or 阶段): its commas stay ASCII
        start = offsets[token.start[0] - 1] + token.start[1]
        end = offsets[token.end[0] - 1] + token.end[1]
        spans.append((start, end))
    return spans


def _template_spans(source: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for skip in TEMPLATE_SKIP.finditer(source):
        spans.append((pos, skip.start()))
        pos = skip.end()
    spans.append((pos, len(source)))
    return spans


def fixed(path: Path, source: str) -> str:
    spans = _python_strings(source) if path.suffix == ".py" else _template_spans(source)
    out, pos = [], 0
    for start, end in spans:
        out.append(source[pos:start])
        out.append(fix_text(source[start:end]))
        pos = end
    out.append(source[pos:])
    return "".join(out)


def deferred(path: Path) -> bool:
    name = str(path.relative_to(ROOT))
    return bool(DEFERRED) and name.startswith(DEFERRED)


def files(paths: list[str] | None = None, *, include_deferred: bool = False) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    found = sorted((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        base = ROOT / app
        if base.is_dir():
            found += sorted(p for p in base.rglob("*.py") if "migrations" not in p.parts)
            found += sorted(base.rglob("templates/**/*.html"))
    return found if include_deferred else [p for p in found if not deferred(p)]


def findings(paths: list[str] | None = None) -> dict[str, list[str]]:
    """{file: [lines that would change]} over the project's templates and apps."""
    result: dict[str, list[str]] = {}
    for path in files(paths):
        source = path.read_text(encoding="utf-8")
        new = fixed(path, source)
        if new != source:
            old_lines, new_lines = source.splitlines(), new.splitlines()
            result[str(path.relative_to(ROOT))] = [
                f"{n}: {a.strip()}" for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1) if a != b
            ]
    return result


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--fix"]
    for name, lines in findings(args or None).items():
        print(name)
        for line in lines:
            print("   ", line)
        if "--fix" in sys.argv:
            path = ROOT / name
            path.write_text(fixed(path, path.read_text(encoding="utf-8")), encoding="utf-8")
