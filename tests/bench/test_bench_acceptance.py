"""`manage.py bench acceptance` runs end to end at a tiny size, prints the agreed JSON shape and
counts real queries (a count of 0 is a broken counter)."""

from __future__ import annotations

import argparse
import json

import pytest

from acceptance.models import Application, RectificationItem
from bench import acceptance as bench_acceptance
from bench.management.commands.bench import TARGETS
from plans.models import Plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_acceptance_prints_the_agreed_json():
    # The command's own parser is not built here: it loads every target, and the transitions
    # baseline needs viewflow's workflow engine, which only bench.settings installs.
    assert TARGETS["acceptance"] == "bench.acceptance"
    parser = argparse.ArgumentParser()
    bench_acceptance.add_arguments(parser)
    options = vars(parser.parse_args(["--schools", "6", "--criteria", "5", "--form-criteria", "8",
                                      "--tasks-per-school", "3", "--repeat", "2", "--prefix", "bt"]))
    result = json.loads(json.dumps(bench_acceptance.run(options), ensure_ascii=False))
    assert {"db", "schools", "overview", "form"} <= set(result)
    assert result["schools"] == 6
    assert {"queries", "p50_ms", "p95_ms"} <= set(result["overview"])
    assert {"criteria", "queries", "p50_ms", "p95_ms"} <= set(result["form"])
    assert result["form"]["criteria"] == 8
    assert result["overview"]["queries"] > 0 and result["form"]["queries"] > 0
    assert result["overview"]["p95_ms"] >= result["overview"]["p50_ms"] > 0
    # Every acceptance state is built: 未申请 … 已验收, with rectification items to chase.
    plans = Plan.objects.filter(school__code__startswith="bt-")
    assert set(plans.values_list("status", flat=True)) == set(Plan.Status.values)
    # Every county round's state; 抽检合格 (PASSED) ends only a city's spot check, which the bench
    # does not build (it measures the county's overview and scoring form).
    assert set(Application.objects.filter(plan__in=plans).values_list("status", flat=True)) == set(
        Application.Status.values
    ) - {Application.Status.PASSED}
    assert RectificationItem.objects.filter(plan__in=plans, status=RectificationItem.Status.ASSIGNED).exists()


def test_the_manage_py_command_prints_one_json_object():
    """The real command line, in a child process on this test's database (bench.settings)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from bench.harness import database_env

    env = {**os.environ, **database_env(), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "bench", "acceptance", "--schools", "3", "--criteria", "4", "--form-criteria",
         "5", "--tasks-per-school", "2", "--repeat", "1", "--prefix", "bc", "--json"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["schools"] == 3 and result["form"]["criteria"] == 5
    assert result["overview"]["queries"] > 0 and result["form"]["queries"] > 0
