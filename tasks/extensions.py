"""What apps above tasks add to evidence upload forms without tasks (or acceptance, or dashboards)
importing them.

An app offers to file a file at upload time by setting ``evidence_filing`` on its AppConfig: an
object with ``template`` (a form fragment), ``offer(user, plan) -> dict | None`` (the fragment's
context; None: nothing to offer this user for this plan), ``parse(user, plan, data) -> choice | None``
(reads the posted fields before anything is written; raises DomainError on a bad choice, so the
whole upload is refused with nothing written; None: the user chose nothing) and
``apply(user, plan, choice, source, source_id) -> str`` (after the upload succeeded: files it and
answers a success message; a DomainError here leaves the upload in place). The archive app's 归档到
(archives.filing_at_upload) is the one offer today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.http import HttpRequest

from core.errors import DomainError, NotAllowed
from plans.models import Plan


def _hooks() -> list[Any]:
    return [hook for config in apps.get_app_configs() if (hook := getattr(config, "evidence_filing", None))]


def filing_offers(user: Any, plan: Plan) -> list[dict[str, Any]]:
    """The fragments an upload form of this plan includes: ``{"template": ..., **context}`` each."""
    found = []
    for hook in _hooks():
        context = hook.offer(user, plan)
        if context is not None:
            found.append({"template": hook.template, **context})
    return found


def filing_choices(user: Any, plan: Plan, data: Mapping[str, Any]) -> list[tuple[Any, Any]]:
    """What the user chose in the fragments, checked before the upload writes anything (raises
    DomainError with the reason)."""
    return [(hook, choice) for hook in _hooks() if (choice := hook.parse(user, plan, data)) is not None]


def filing_apply(request: HttpRequest, plan: Plan, choices: list[tuple[Any, Any]], source: str, source_id: int) -> None:
    """Carry out the choices for the file just uploaded; each outcome becomes a message. A refusal
    here (the archive was frozen meanwhile) keeps the upload and says the file was not filed."""
    for hook, choice in choices:
        try:
            messages.success(request, hook.apply(request.user, plan, choice, source, source_id))
        except (DomainError, NotAllowed) as exc:
            messages.warning(request, f"文件已上传，但未能归档：{exc.message}")
