"""The history pages: readable lines, filters in the URL, keyset pages, scope, bad input, export."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from dashboards.services import indicator_report
from tasks import services
from tests.workflow_helpers import to_state

pytestmark = pytest.mark.django_db


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def test_plan_history_reads_as_sentences_with_local_time_and_waiver(client, county):
    a = county.a
    task = to_state(a, "in_progress")
    services.task_waive(task=a.tasks[1], actor=a.leader, reason="已由县里统一安排")
    indicator_report(actor=a.member, indicator=a.indicator, value=12, measured_on=timezone.localdate())
    html = get(client, a.leader, reverse("history:plan", args=[a.plan.pk])).content.decode()
    waived = AuditEntry.objects.get(action="tasks.task.waived")
    local = timezone.localtime(waived.created_at).strftime("%Y-%m-%d %H:%M:%S")
    assert local in html
    assert f"“<a href=\"/tasks/{a.tasks[1].pk}/\">{a.tasks[1].title}</a>”" in html
    assert "豁免任务" in html and "已豁免" in html and "原因:已由县里统一安排" in html
    assert "（组长）" in html or "(组长)" in html
    assert "开始办理" in html and task.title in html
    assert "实际值 12" in html and a.indicator.name in html


def test_filters_live_in_the_url_and_pages_follow_the_sequence(client, county, settings):
    a = county.a
    services.task_waive(task=a.tasks[1], actor=a.leader, reason="理由")
    url = reverse("history:plan", args=[a.plan.pk])
    html = get(client, a.leader, url, action="tasks.task.waived").content.decode()
    assert html.count('class="history-entry"') == 1
    assert html.count('class="history-entry"') == 1
    from history import selectors

    entries = selectors.plan_entries(a.plan, selectors.HistoryFilters())
    first, cursor = selectors.page(entries, None, size=2)
    second, _ = selectors.page(entries, cursor, size=2)
    assert [e.seq for e in first] == sorted([e.seq for e in first], reverse=True)
    assert cursor == first[-1].seq and all(e.seq < cursor for e in second) and second
    html = get(client, a.leader, url).content.decode()
    total = entries.count()
    assert html.count('class="history-entry"') == min(total, selectors.PAGE_SIZE)


def test_bad_input_gives_a_message_not_rows(client, county):
    a = county.a
    url = reverse("history:plan", args=[a.plan.pk])
    response = get(client, a.leader, url, **{"from": "2026-05-02", "to": "2026-05-01"})
    assert response.status_code == 400 and "开始日期晚于结束日期" in response.content.decode()
    assert 'class="history-entry"' not in response.content.decode()
    assert get(client, a.leader, url, before="abc").status_code == 400
    assert get(client, a.leader, url, action="nope").status_code == 400
    # A task of another school's plan matches nothing here.
    html = get(client, a.leader, url, task=county.b.tasks[0].pk).content.decode()
    assert 'class="history-entry"' not in html


def test_other_schools_answer_404(client, county):
    assert get(client, county.a.leader, reverse("history:plan", args=[county.b.plan.pk])).status_code == 404
    response = get(client, county.a.leader, reverse("history:plan", args=[county.b.plan.pk]), format="xlsx")
    assert response.status_code == 404
    assert get(client, county.a.leader, reverse("history:person", args=[county.b.leader.pk])).status_code == 404
    assert get(client, county.centre_head, reverse("history:county"), school=county.a.school.pk).status_code == 404
    assert get(client, county.other_bureau_user, reverse("history:county"), school=county.a.school.pk).status_code == 404
    assert get(client, county.a.leader, reverse("history:county")).status_code == 403


def test_county_page_covers_every_school_under_the_viewer_with_township_filter(client, county):
    services.task_waive(task=county.a.tasks[1], actor=county.a.leader, reason="a 理由")
    services.task_waive(task=county.b.tasks[1], actor=county.b.leader, reason="b 理由")
    services.task_waive(task=county.c.tasks[1], actor=county.c.leader, reason="c 理由")
    url = reverse("history:county")
    html = get(client, county.bureau_admin, url, action="tasks.task.waived").content.decode()
    assert "a 理由" in html and "b 理由" in html and "c 理由" not in html
    assert county.a.school.name in html and "审计检查点" in html
    html = get(client, county.bureau_admin, url, action="tasks.task.waived", township="青石镇").content.decode()
    assert "b 理由" in html and "a 理由" not in html
    html = get(client, county.centre_head, url, action="tasks.task.waived").content.decode()
    assert "b 理由" in html and "a 理由" not in html and "审计检查点" not in html


def test_person_history_shows_what_they_did_in_visible_plans(client, county):
    a = county.a
    services.task_waive(task=a.tasks[1], actor=a.leader, reason="本人操作")
    html = get(client, county.bureau_admin, reverse("history:person", args=[a.leader.pk])).content.decode()
    assert "本人操作" in html
    html = get(client, a.member, reverse("history:person", args=[a.leader.pk])).content.decode()
    assert "本人操作" in html


def test_export_gives_exactly_the_filtered_rows_with_ids(client, county):
    a = county.a
    services.task_waive(task=a.tasks[1], actor=a.leader, reason="=HYPERLINK(\"x\")")
    response = get(client, a.leader, reverse("history:plan", args=[a.plan.pk]), action="tasks.task.waived", format="xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    header, row = rows
    entry = AuditEntry.objects.get(action="tasks.task.waived")
    assert row[0] == entry.seq and row[6] == a.tasks[1].title and row[8] == "已豁免"
    assert row[13] == a.tasks[1].pk and row[15] == entry.hash
    assert not str(row[9]).startswith("=")


def test_bureau_downloads_signed_checkpoints_that_verify(client, county, tmp_path):
    from django.core.management import call_command

    from audit.chain import checkpoint_make

    checkpoint_make()
    response = get(client, county.bureau_admin, reverse("history:checkpoints"))
    assert response.status_code == 200
    path = tmp_path / "copy.jsonl"
    path.write_bytes(b"".join(response.streaming_content))
    assert path.read_text().count("\n") == 2
    out = io.StringIO()
    call_command("verify_audit", "--checkpoints", str(path), stdout=out)
    assert "intact" in out.getvalue()
    assert get(client, county.centre_head, reverse("history:checkpoints")).status_code == 403


def test_the_old_excel_history_export_is_gone(client, county):
    """history.exports replaced excel's plan_history export: the route is gone and nothing links to it."""
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("excel:plan_history", args=[county.a.plan.pk])
    client.force_login(county.a.leader)
    assert client.get(f"/excel/plans/{county.a.plan.pk}/history.xlsx").status_code == 404


def test_a_date_range_shows_exactly_the_entries_of_those_days(county):
    """The date filter narrows by time and by the sequence numbers that bound those times."""
    import datetime

    from audit.services import audit_record
    from history import selectors
    from tests.audit.test_chain import drop_triggers, raw

    days = [timezone.localdate() - datetime.timedelta(days=n) for n in (5, 3, 3, 1)]
    entries = [audit_record(actor=county.a.leader, action="tasks.task.closed", target=county.a.tasks[0],
                            plan=county.a.plan, reason=f"d{n}") for n in range(4)]
    drop_triggers()  # give the entries the times of earlier days, in sequence order
    for entry, day in zip(entries, days, strict=True):
        moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        raw("UPDATE audit_auditentry SET created_at = %s WHERE id = %s", [moment, entry.pk])
    earlier = AuditEntry.objects.filter(seq__lt=entries[0].seq)
    raw("UPDATE audit_auditentry SET created_at = %s WHERE id IN (SELECT id FROM audit_auditentry WHERE seq < %s)",
        [timezone.now() - datetime.timedelta(days=30), entries[0].seq])
    assert earlier.exists()

    def reasons(**params):
        f = selectors.parse_filters(QueryDict(urlencode(params)))
        rows, _ = selectors.page(selectors.plan_entries(county.a.plan, f), None)
        return [e.reason for e in rows]

    three = days[1].isoformat()
    assert reasons(**{"from": three, "to": three}) == ["d2", "d1"]
    assert reasons(**{"from": days[0].isoformat(), "to": three}) == ["d2", "d1", "d0"]
    assert reasons(**{"from": days[3].isoformat()}) == ["d3"]
    assert "d0" not in reasons(**{"to": (days[0] - datetime.timedelta(days=1)).isoformat()})
    future = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert reasons(**{"from": future}) == []
