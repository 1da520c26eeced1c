"""`manage.py import_people`: exit codes as import_plan, the passwords file, and the shipped example."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from orgs.models import Organisation, User
from tests.excel.roster_fixtures import roster_workbook
from tests.factories import OrganisationFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "roster-example.xlsx"


def test_dry_run_writes_nothing_and_exits_0(county, tmp_path, capsys):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_workbook())
    call_command("import_people", str(path), "--bureau", "bureau", "--dry-run")
    assert "试导入通过" in capsys.readouterr().out
    assert not Organisation.objects.filter(code="ql").exists()


def test_import_writes_the_passwords_file_once(county, tmp_path):
    path, out = tmp_path / "roster.xlsx", tmp_path / "pw.xlsx"
    path.write_bytes(roster_workbook())
    call_command("import_people", str(path), "--as-user", "bureau_admin", "--passwords", str(out))
    rows = list(load_workbook(out, read_only=True).active.iter_rows(values_only=True))[2:]
    assert {r[2] for r in rows} == {"ql_wang", "李老师", "hs_zhao"}
    out.unlink()
    call_command("import_people", str(path), "--as-user", "bureau_admin", "--passwords", str(out))
    assert not out.exists()  # nothing new, no passwords to hand out


def test_problems_exit_1_and_refusals_exit_2(county, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(roster_workbook(people=[[1, "zz", "王五", None, None, None, None]]))
    with pytest.raises(CommandError) as caught:
        call_command("import_people", str(bad), "--bureau", "bureau")
    assert caught.value.returncode == 1 and not Organisation.objects.filter(code="ql").exists()
    junk = tmp_path / "junk.xlsx"
    junk.write_text("a,b,c")
    with pytest.raises(CommandError) as caught:
        call_command("import_people", str(junk), "--bureau", "bureau")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        call_command("import_people", str(bad), "--as-user", "bureau2_admin", "--bureau", "bureau")
    assert caught.value.returncode == 2


def test_the_shipped_example_imports(county, tmp_path):
    OrganisationFactory(
        code="qs", name="青石镇中心学校", kind=Organisation.Kind.CENTRE, parent=county.bureau, township="青石镇"
    )
    Organisation.objects.filter(pk=county.centre.pk).update(name="青龙镇中心学校")  # one centre of that name
    call_command("import_people", str(EXAMPLE), "--bureau", "bureau", "--passwords", str(tmp_path / "pw.xlsx"))
    assert Organisation.objects.get(code="qs01").parent.code == "qs"
    assert User.objects.filter(organisation__code="xc01").count() == 4
    assert User.objects.filter(username="张伟").exists()
