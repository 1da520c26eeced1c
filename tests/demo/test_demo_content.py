"""The demo county is fit to show an official: invented people, and the seeds' own indicators."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from demo.data import INDICATORS, OVERSEERS, SCHOOL_STAFF
from orgs.models import User
from plans.models import Indicator

SEEDS = Path("/work/shared/seeds")
# Names of real public figures (state leaders, and people of letters and art whose names the old
# demo data happened to use). A demo person may bear none of them.
PUBLIC_FIGURES = {
    "毛泽东", "周恩来", "刘少奇", "朱德", "邓小平", "陈云", "华国锋", "胡耀邦", "赵紫阳", "江泽民",
    "李鹏", "朱镕基", "胡锦涛", "温家宝", "习近平", "李克强", "李强", "王岐山", "韩正", "汪洋",
    "栗战书", "赵乐际", "王沪宁", "蔡奇", "丁薛祥", "李希", "杨尚昆", "李先念", "乔石", "吴邦国",
    "贾庆林", "俞正声", "张德江", "刘云山", "张高丽", "罗丹", "赵丽华", "郑敏", "徐慧", "何静",
}


def demo_names() -> list[str]:
    names = [full_name for _, full_name, *_ in OVERSEERS]
    for _prefix, staff in SCHOOL_STAFF.values():
        names += staff
    return names


def test_no_demo_person_bears_a_public_figures_name():
    names = demo_names()
    assert len(names) == len(set(names)), "every demo person has a name of their own"
    assert not PUBLIC_FIGURES & set(names)


@pytest.mark.django_db
def test_seeded_people_and_indicators_are_the_declared_ones():
    call_command("seed_demo", quiet_logins=True)
    assert not PUBLIC_FIGURES & set(User.objects.values_list("full_name", flat=True))
    expected = {(name, unit, direction, target) for name, unit, direction, target, _ in INDICATORS}
    for plan_id in Indicator.objects.values_list("plan_id", flat=True).distinct():
        rows = Indicator.objects.filter(plan_id=plan_id).values_list("name", "unit", "direction", "target")
        assert set(rows) == expected
    assert Indicator.objects.filter(name="初中升学率", target=44.8).exists()


def test_every_demo_indicator_is_quoted_from_a_seed_document():
    for name, _unit, _direction, target, words in INDICATORS:
        assert f"{target.normalize():f}" in words, name
    if not SEEDS.is_dir():
        pytest.skip("the shared seed documents are not on this machine")
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    for name, *_, words in INDICATORS:
        assert words in text, f"{name}: “{words}” is not in the seeds"
