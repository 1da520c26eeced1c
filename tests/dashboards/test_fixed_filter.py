"""The dashboards' ``fixed`` filter prints exactly what ``floatformat`` printed before it."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template
from django.template.defaultfilters import floatformat
from hypothesis import given
from hypothesis import strategies as st

from dashboards.templatetags.numbers import fixed

FORMATS = ((0, "0"), (1, "1u"), (2, "2u"))
numbers = st.one_of(
    # floatformat returns a float of more than 200 digits as it is (a guard against huge inputs).
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-100),
    st.decimals(min_value=-10**6, max_value=10**6, allow_nan=False, allow_infinity=False, places=4),
    st.integers(min_value=-10**6, max_value=10**6),
    # Exact halves, where rounding rules differ.
    st.integers(min_value=-20000, max_value=20000).map(lambda n: n / 8),
)


@given(numbers)
def test_fixed_is_floatformat(value):
    for places, argument in FORMATS:
        assert fixed(value, places) == floatformat(value, argument), (value, places)


def test_what_is_not_a_number_prints_nothing():
    for value in (None, "", "abc", float("nan"), float("inf")):
        assert fixed(value, 0) == ""
    assert fixed(Decimal("12.5"), 0) == "13" and fixed("12.5", 1) == "12.5"


def test_in_a_template():
    rendered = Template("{% load numbers %}{{ a|fixed:0 }}|{{ b|fixed:1 }}|{{ c|fixed:2 }}").render(
        Context({"a": 66.5, "b": 0.05, "c": 2.675})
    )
    assert rendered == "67|0.1|2.68"
