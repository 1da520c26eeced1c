"""Set-up for archive tests: the default scheme, an opened archive and evidence files of a plan."""

from __future__ import annotations

import datetime

from archives.models import RequiredItem
from archives.services import archive_open, default_scheme_install
from orgs.models import Organisation
from tasks import services as task_services
from tests.workflow_helpers import pdf


def set_level(school, level: str) -> None:
    Organisation.objects.filter(pk=school.school.pk).update(level=level)
    school.plan.school.level = level
    school.school.level = level


def opened(school):
    """The school's archive opened by its office, with two task evidence files."""
    default_scheme_install()
    scheme = archive_open(actor=school.office, plan=school.plan)
    files = [
        task_services.evidence_add(task=school.tasks[0], actor=school.member, upload=pdf("逐项自评表.pdf")),
        task_services.evidence_add(task=school.tasks[0], actor=school.member, upload=pdf("学籍档案2026.pdf")),
    ]
    return scheme, files


def item(scheme, title_part: str) -> RequiredItem:
    return RequiredItem.objects.get(scheme=scheme, title__contains=title_part)


def days_ago(n: int) -> datetime.date:
    return datetime.date.today() - datetime.timedelta(days=n)
