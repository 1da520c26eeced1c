"""Writes for a plan's acceptance, one service per transition: the school's side (the form, 自评,
请验, rectification) in ``school`` and ``rectification``, the bureau's side (team, ratings,
result, 公示, acceptance) in ``inspection``, the city's 抽检 in ``spot_check``."""

from acceptance.services.inspection import (
    acceptance_finalise,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
    objection_record,
)
from acceptance.services.rectification import (
    rectification_assign,
    rectification_close,
    rectification_return,
    rectification_submit,
)
from acceptance.services.school import application_submit, criterion_create, form_rules_set, self_rating_set
from acceptance.services.spot_check import spot_check_open, spot_check_result_record, spot_check_team_set

__all__ = [
    "acceptance_finalise",
    "application_submit",
    "criterion_create",
    "final_rating_set",
    "form_rules_set",
    "inspection_result_record",
    "inspection_team_set",
    "inspector_rating_set",
    "na_claim_decide",
    "objection_record",
    "rectification_assign",
    "rectification_close",
    "rectification_return",
    "rectification_submit",
    "self_rating_set",
    "spot_check_open",
    "spot_check_result_record",
    "spot_check_team_set",
]
