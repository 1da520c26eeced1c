"""Every archive action × every role (the plan's seats, the school's other staff, another school's
office, the bureau admin, an inspector, the centre school, another county): allowed ones succeed,
refused ones raise NotAllowed (or answer 404 on pages) and change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from archives import services
from archives.models import ArchiveScheme, Filing
from audit.models import AuditEntry
from plans.models import PlanTemplate
from tests.archives.helpers import days_ago, item, opened
from tests.city_helpers import with_city
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ACTORS = ["leader", "deputy", "office", "member", "staff", "other_school_office", "bureau_admin", "inspector",
          "centre_head", "other_county", "city_user", "other_city_user"]
# Whoever sees the plan reads its archive: the city over the county too (read-only), not another city.
VIEWERS = {"leader", "deputy", "office", "member", "staff", "bureau_admin", "inspector", "city_user"}


def people(county):
    a = county.a
    return {"leader": a.leader, "deputy": a.deputy, "office": a.office, "member": a.member, "staff": a.staff,
            "other_school_office": county.b.office, "bureau_admin": county.bureau_admin,
            "inspector": county.inspector, "centre_head": county.centre_head, "other_county": county.other_bureau_user,
            "city_user": with_city(county).user, "other_city_user": with_city(county).other_user}


class _Undo(Exception):
    pass


def attempt(call):
    """Run ``call`` and undo it: (allowed, audit rows written, filings written)."""
    outcome = None
    try:
        with transaction.atomic():
            audit, filings = AuditEntry.objects.count(), Filing.objects.count()
            try:
                call()
                allowed = True
            except PermissionDenied:
                allowed = False
            outcome = (allowed, AuditEntry.objects.count() - audit, Filing.objects.count() - filings)
            raise _Undo
    except _Undo:
        pass
    return outcome


def _file(county, scheme, files):
    return lambda actor: services.filing_create(
        actor=actor, plan=county.a.plan, item=item(scheme, "学校平面图"), source="task", source_id=files[0].pk,
        document_date=days_ago(1))


def _existing(county, scheme, files):
    return services.filing_create(actor=None, plan=county.a.plan, item=item(scheme, "逐项自评表"), source="task",
                                  source_id=files[1].pk, document_date=days_ago(2))


def _second(county, scheme, files):
    """Two files in one item: the second one can move up."""
    _existing(county, scheme, files)
    return services.filing_create(actor=None, plan=county.a.plan, item=item(scheme, "逐项自评表"), source="task",
                                  source_id=files[0].pk, document_date=days_ago(1))


ACTIONS = {
    "file": (_file, {"leader", "office"}),
    "retitle": (
        lambda county, scheme, files: (lambda f: lambda actor: services.filing_update(
            actor=actor, filing=f, title="新题名", document_date=days_ago(1)))(_existing(county, scheme, files)),
        {"leader", "office"},
    ),
    "remove": (
        lambda county, scheme, files: (lambda f: lambda actor: services.filing_remove(actor=actor, filing=f))(
            _existing(county, scheme, files)),
        {"leader", "office"},
    ),
    "move": (
        lambda county, scheme, files: (lambda f: lambda actor: services.filing_move(
            actor=actor, filing=f, direction="up"))(_second(county, scheme, files)),
        {"leader", "office"},
    ),
    "copy_to_template": (
        lambda county, scheme, files: (lambda t: lambda actor: services.scheme_copy(
            actor=actor, source=ArchiveScheme.objects.get(is_default=True), template=t))(
            PlanTemplate.objects.create(bureau=county.bureau, title="模板", year=2026)),
        {"bureau_admin"},
    ),
    "edit_plan_scheme": (
        lambda county, scheme, files: lambda actor: services.item_save(
            actor=actor, scheme=scheme, volume=scheme.volumes.first(), order=9, title="新条目"),
        {"bureau_admin"},
    ),
    "set_plan_scheme": (
        lambda county, scheme, files: lambda actor: services.scheme_copy(
            actor=actor, source=ArchiveScheme.objects.get(is_default=True), plan=county.b.plan),
        {"bureau_admin"},
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_archive_action_matrix(county, action):
    scheme, files = opened(county.a)
    make, allowed = ACTIONS[action]
    call = make(county, scheme, files)
    who = people(county)
    for name in ACTORS:
        ok, audit_rows, _ = attempt(lambda user=who[name]: call(user))
        assert ok == (name in allowed), f"{action} by {name}"
        if not ok:
            assert audit_rows == 0, f"{action} by {name} wrote audit rows"
        else:
            assert audit_rows >= 1, f"{action} by {name} wrote no audit row"


def test_opening_the_archive_matrix(county):
    who = people(county)
    services.default_scheme_install()
    for name in ACTORS:
        ok, audit_rows, _ = attempt(lambda user=who[name]: services.archive_open(actor=user, plan=county.a.plan))
        assert ok == (name in {"leader", "office", "bureau_admin"}), name
        assert audit_rows == (1 if ok else 0)
    assert not ArchiveScheme.objects.filter(plan=county.a.plan).exists()


PAGES = [
    lambda pk: reverse("archives:archive", args=[pk]),
    lambda pk: reverse("archives:catalogue", args=[pk, "xlsx"]),
    lambda pk: reverse("archives:catalogue", args=[pk, "pdf"]),
    lambda pk: reverse("archives:zip", args=[pk]),
]


def test_pages_and_downloads_answer_404_to_whoever_may_not_see_the_plan(county, client):
    scheme, files = opened(county.a)
    _existing(county, scheme, files)
    who = people(county)
    for name in ACTORS:
        client.logout()
        assert client.login(username=who[name].username, password=PASSWORD)
        for page in PAGES:
            response = client.get(page(county.a.plan.pk))
            assert response.status_code == (200 if name in VIEWERS else 404), (name, page(county.a.plan.pk))
            if response.status_code == 200 and response.streaming:
                b"".join(response.streaming_content)


def test_filing_by_post_from_another_school_is_404_and_changes_nothing(county, client):
    scheme, files = opened(county.a)
    client.login(username=county.b.office.username, password=PASSWORD)
    response = client.post(reverse("archives:filing_create", args=[county.a.plan.pk]), {
        "source": f"task:{files[0].pk}", "item": item(scheme, "学校平面图").pk, "document_date": "2026-01-05"})
    assert response.status_code == 404 and not Filing.objects.exists()
