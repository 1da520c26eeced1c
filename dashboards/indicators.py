"""Indicators (指标) as pages show them: latest value, met / not met, distance to target, charts."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from dashboards import charts
from dashboards.formatting import format_number
from plans.models import Indicator, IndicatorReading

# --- status -------------------------------------------------------------------------------------


@dataclass
class IndicatorStatus:
    """An indicator with its readings (oldest first) and what the latest one says about the target."""

    indicator: Indicator
    readings: list[IndicatorReading]

    @property
    def latest(self) -> IndicatorReading | None:
        return self.readings[-1] if self.readings else None

    @property
    def met(self) -> bool | None:
        """True / False against the target; None without readings."""
        return self.indicator.is_met_by(self.latest.value if self.latest else None)

    @property
    def distance(self) -> Decimal | None:
        """How far the latest value is on the good side of the target (negative: short of it)."""
        if self.latest is None:
            return None
        value, target = self.latest.value, self.indicator.target
        return value - target if self.indicator.direction == Indicator.Direction.AT_LEAST else target - value

    @property
    def distance_percent(self) -> float | None:
        """The distance relative to the target, None for a target of zero (no division by zero)."""
        distance = self.distance
        if distance is None or not self.indicator.target:
            return None
        return float(distance / abs(self.indicator.target) * 100)

    @property
    def distance_text(self) -> str:
        distance = self.distance
        if distance is None:
            return "暂无数据"
        unit = self.indicator.unit
        if distance == 0:
            return "恰好达到目标"
        amount = format_number(abs(distance))
        return f"优于目标 {amount}{unit}" if distance > 0 else f"距目标还差 {amount}{unit}"

    @property
    def target_text(self) -> str:
        return f"{self.indicator.get_direction_display()} {format_number(self.indicator.target)}{self.indicator.unit}"

    @property
    def sparkline(self) -> str:
        return charts.sparkline(self)

    @property
    def history_chart(self) -> str:
        return charts.indicator_history(self)


def indicator_status(indicator: Indicator, readings: list[IndicatorReading]) -> IndicatorStatus:
    """Status from readings in any order: they are sorted oldest first (date, then report order)."""
    return IndicatorStatus(indicator=indicator, readings=sorted(readings, key=lambda r: (r.measured_on, r.pk or 0)))
