"""The scoring rules against a brute-force recount with exact fractions, and their boundaries."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from acceptance.scoring import RULE_COUNTS, Line, PassRule, score, tier_points, tier_points_error

points = st.decimals(min_value=0, max_value=20, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def lines(draw):
    top = draw(points)
    rest = sorted((draw(points) for _ in range(3)), reverse=True)
    ladder = (top, *(min(p, top) for p in rest))
    return Line(
        tier_points=ladder,
        tier=draw(st.one_of(st.none(), st.integers(1, 4))),
        applicable=draw(st.booleans()),
    )


def recount(items, rule):
    """Brute force: every line looked at on its own, exact rationals, no shared code."""
    used = [line for line in items if line.applicable]
    maximum = sum((Fraction(line.tier_points[0]) for line in used), Fraction(0))
    awarded = sum((Fraction(line.tier_points[line.tier - 1]) for line in used if line.tier), Fraction(0))
    counts = [sum(1 for line in used if line.tier == t) for t in (1, 2, 3, 4)]
    complete = all(line.tier for line in used) and bool(used)
    if rule.kind == RULE_COUNTS:
        ok = (
            (rule.min_tier1 is None or counts[0] >= rule.min_tier1)
            and (rule.max_tier3 is None or counts[2] <= rule.max_tier3)
            and (rule.max_tier4 is None or counts[3] <= rule.max_tier4)
        )
    else:
        ok = maximum == 0 or awarded / maximum * 100 >= Fraction(rule.pass_mark)
    return awarded, maximum, counts, complete and ok


rules = st.one_of(
    st.builds(PassRule, pass_mark=st.decimals(min_value=0, max_value=100, places=2)),
    st.builds(
        PassRule,
        kind=st.just(RULE_COUNTS),
        min_tier1=st.one_of(st.none(), st.integers(0, 8)),
        max_tier3=st.one_of(st.none(), st.integers(0, 8)),
        max_tier4=st.one_of(st.none(), st.integers(0, 8)),
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(lines(), max_size=12), rules)
def test_score_matches_a_brute_force_recount(items, rule):
    result = score(items, rule)
    awarded, maximum, counts, passed = recount(items, rule)
    assert Fraction(result.awarded) == awarded and Fraction(result.maximum) == maximum
    assert list(result.counts) == counts
    assert result.passed == passed
    if maximum:
        exact = awarded / maximum * 100
        assert Fraction(result.score) <= exact < Fraction(result.score) + Fraction(1, 100)
    else:
        assert result.score is None


FULL = (Decimal("10"), Decimal("8"), Decimal("5"), Decimal("0"))


def test_exactly_85_passes_and_a_hair_below_fails():
    # 17 of 20 points = 85.00 exactly: passes.
    at = [Line((Decimal("17"), Decimal("1"), Decimal("0"), Decimal("0")), tier=1), Line((Decimal("3"),) * 1 + (Decimal("0"),) * 3, tier=4)]
    result = score(at, PassRule())
    assert result.score == Decimal("85.00") and result.passed
    # 84.999…: shown cut to 84.99, never rounded up to 85.00, and fails.
    below = [Line((Decimal("16.9998"), Decimal("0"), Decimal("0"), Decimal("0")), tier=1),
             Line((Decimal("3.0002"), Decimal("0"), Decimal("0"), Decimal("0")), tier=4)]
    result = score(below, PassRule())
    assert result.score == Decimal("84.99") and not result.passed
    assert "低于合格分 85" in result.shortfalls[0]


def test_not_applicable_lines_are_left_out_and_the_total_rescaled():
    items = [Line(FULL, tier=1), Line(FULL, tier=4, applicable=False)]
    assert score(items, PassRule()).score == Decimal("100.00")
    assert score([Line(FULL, tier=1), Line(FULL, tier=4)], PassRule()).score == Decimal("50.00")


def test_incomplete_or_empty_forms_do_not_pass():
    result = score([Line(FULL, tier=1), Line(FULL)], PassRule())
    assert not result.passed and result.unrated == 1 and "1 项未评定" in result.shortfalls[0]
    assert not score([], PassRule()).passed and score([], PassRule()).score is None


def test_counts_rule():
    rule = PassRule(kind=RULE_COUNTS, min_tier1=2, max_tier4=0)
    assert score([Line(FULL, tier=1), Line(FULL, tier=1), Line(FULL, tier=3)], rule).passed
    failed = score([Line(FULL, tier=1), Line(FULL, tier=2), Line(FULL, tier=4)], rule)
    assert not failed.passed and len(failed.shortfalls) == 2


def test_tier_outside_1_to_4_is_an_error():
    try:
        score([Line(FULL, tier=5)], PassRule())
    except ValueError:
        return
    raise AssertionError("tier 5 accepted")


def test_tier_points_come_from_fractions_or_overrides():
    fractions = (Decimal("1"), Decimal("0.8"), Decimal("0.5"), Decimal("0"))
    assert tier_points(Decimal("10"), fractions, (None, Decimal("3"), None)) == (
        Decimal("10"), Decimal("8.0"), Decimal("3"), Decimal("0"))
    assert tier_points_error([Decimal("10"), Decimal("11"), Decimal("0"), Decimal("0")])
    assert tier_points_error([Decimal("10"), Decimal("8"), Decimal("5"), Decimal("0")]) is None
