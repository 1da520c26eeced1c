"""The scoring rules of the acceptance form (评估表), as pure functions over plain values.

No database here: selectors read the rows and hand over ``Line`` and ``PassRule`` values, so the
rules are tested exhaustively (tests/acceptance/test_scoring_property.py) against a brute-force
recount.

- Each criterion is rated on four tiers (1档 完全达到 … 4档 未达到); a tier earns the points the
  form gives it (per criterion, or the form's fraction of the criterion's points).
- Criteria that do not apply are left out; the total is rescaled to 100:
  score = 100 × awarded / maximum over applicable criteria.
- The pass rule is data: a pass mark on the rescaled score (85 by default), or counts per tier
  (at least N at 1档, at most M at 3档, at most K at 4档).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

HUNDRED = Decimal("100")
CENT = Decimal("0.01")
RULE_POINTS = "points"
RULE_COUNTS = "counts"


@dataclass(frozen=True)
class Line:
    """One criterion as the rules see it. ``tier_points`` are the points of tiers 1–4;
    ``tier`` is None while unrated; ``applicable`` False leaves the line out of the total."""

    tier_points: tuple[Decimal, Decimal, Decimal, Decimal]
    tier: int | None = None
    applicable: bool = True

    @property
    def maximum(self) -> Decimal:
        return self.tier_points[0]


@dataclass(frozen=True)
class PassRule:
    kind: str = RULE_POINTS
    pass_mark: Decimal = Decimal("85")
    min_tier1: int | None = None
    max_tier3: int | None = None
    max_tier4: int | None = None


@dataclass(frozen=True)
class Result:
    awarded: Decimal
    maximum: Decimal
    counts: tuple[int, int, int, int]
    unrated: int
    applicable: int
    passed: bool
    shortfalls: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.unrated == 0

    @property
    def score(self) -> Decimal | None:
        """The rescaled score, cut (not rounded) to two decimals, so that a score shown as 85.00
        never hides an 84.999 that fails. None when nothing applies."""
        if self.maximum == 0:
            return None
        return (HUNDRED * self.awarded / self.maximum).quantize(CENT, rounding=ROUND_DOWN)


def tier_points(max_score: Decimal, fractions: Sequence[Decimal], overrides: Sequence[Decimal | None]) -> tuple[
    Decimal, Decimal, Decimal, Decimal
]:
    """Points of tiers 1–4 for a criterion: 1档 earns ``max_score``; tiers 2–4 earn their override,
    or the form's fraction of ``max_score``."""
    points = [max_score]
    for fraction, override in zip(fractions[1:], overrides, strict=True):
        points.append(override if override is not None else max_score * fraction)
    return (points[0], points[1], points[2], points[3])


def tier_points_error(points: Sequence[Decimal]) -> str | None:
    """Why a criterion's tier points are not a valid ladder (0 ≤ 4档 ≤ 3档 ≤ 2档 ≤ 1档), or None."""
    if any(p < 0 for p in points):
        return "各档得分不能为负数。"
    if any(points[i] < points[i + 1] for i in range(3)):
        return "各档得分须逐档不增（1档 ≥ 2档 ≥ 3档 ≥ 4档）。"
    return None


def score(lines: Iterable[Line], rule: PassRule) -> Result:
    """Score a form. ``passed`` is decided on exact values (awarded × 100 ≥ mark × maximum), never
    on the rounded score; an incomplete form or a form where nothing applies does not pass."""
    awarded = maximum = Decimal("0")
    counts = [0, 0, 0, 0]
    unrated = applicable = 0
    for line in lines:
        if not line.applicable:
            continue
        applicable += 1
        maximum += line.maximum
        if line.tier is None:
            unrated += 1
            continue
        if line.tier not in (1, 2, 3, 4):
            raise ValueError(f"tier {line.tier} outside 1–4")
        counts[line.tier - 1] += 1
        awarded += line.tier_points[line.tier - 1]
    shortfalls = _shortfalls(rule, awarded, maximum, counts)
    if unrated:
        shortfalls.insert(0, f"还有 {unrated} 项未评定。")
    if applicable == 0:
        shortfalls.insert(0, "没有适用的评估要点。")
    return Result(
        awarded=awarded,
        maximum=maximum,
        counts=(counts[0], counts[1], counts[2], counts[3]),
        unrated=unrated,
        applicable=applicable,
        passed=not shortfalls,
        shortfalls=shortfalls,
    )


def _shortfalls(rule: PassRule, awarded: Decimal, maximum: Decimal, counts: list[int]) -> list[str]:
    if rule.kind == RULE_COUNTS:
        found = []
        if rule.min_tier1 is not None and counts[0] < rule.min_tier1:
            found.append(f"1档 {counts[0]} 项，少于要求的 {rule.min_tier1} 项。")
        if rule.max_tier3 is not None and counts[2] > rule.max_tier3:
            found.append(f"3档 {counts[2]} 项，多于允许的 {rule.max_tier3} 项。")
        if rule.max_tier4 is not None and counts[3] > rule.max_tier4:
            found.append(f"4档 {counts[3]} 项，多于允许的 {rule.max_tier4} 项。")
        return found
    if maximum > 0 and awarded * HUNDRED < rule.pass_mark * maximum:
        shown = (HUNDRED * awarded / maximum).quantize(CENT, rounding=ROUND_DOWN)
        return [f"得分 {shown} 低于合格分 {rule.pass_mark}。"]
    return []
