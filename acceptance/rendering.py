"""The rows of the inspection team's scoring page (评分表), built in Python.

A form of 100 criteria has, per criterion, a table of every inspector's rating and up to two forms
(the user's own rating, the leader's final tier) with four tiers each: rendered by the template
engine that cost well over 100 ms of CPU. Here every per-render constant (the form actions, the
CSRF field, the team's header, the tier choices for each checked value) is built once, and each
row is a few string joins with every user-written text escaped. The markup is the one the template
had (same ids, names, labels and classes; no inline style or handler, for the CSP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from acceptance.selectors import Board, BoardRow


def _tier_choices(tiers: Sequence[tuple[int, str]], label: str) -> dict[int | None, str]:
    """The radio group of the four tiers, once per checked value (None: nothing checked)."""
    variants: dict[int | None, str] = {}
    for checked in (None, *(value for value, _ in tiers)):
        radios = "".join(
            f'<label><input type="radio" name="tier" value="{value}"{" checked" if value == checked else ""}>'
            f" {escape(text)}</label>"
            for value, text in tiers
        )
        variants[checked] = f'<div class="tier-choices" role="radiogroup" aria-label="{label}">{radios}</div>'
    return variants


def inspection_rows(
    board: Board,
    *,
    tiers: Sequence[tuple[int, str]],
    csrf_token: str,
    rate_url: str,
    final_url: str,
    can_rate: bool,
    is_leader: bool,
) -> SafeString:
    """Every criterion's ``<section id="row-<pk>">``: the self-rating, the team's ratings side by
    side with the final tier, the user's own rating form (``can_rate``) and the leader's claim
    decision or final-tier form (``is_leader``), each with the version it was built from."""
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    head = "".join(f"<th>{conditional_escape(str(member))}</th>" for member in board.team)
    thead = f'<div class="table-wrap"><table class="table"><thead><tr>{head}<th>最终</th></tr></thead><tbody><tr>'
    mine_choices = _tier_choices(tiers, "我的评分")
    final_choices = _tier_choices(tiers, "最终等级")
    rate_open = f'<form method="post" action="{escape(rate_url)}" class="form">{csrf}'
    final_open = f'<form method="post" action="{escape(final_url)}" class="form">{csrf}'
    out: list[str] = []
    for row in board.rows:
        out.append(_row(row, thead, rate_open, final_open, mine_choices, final_choices, can_rate, is_leader))
    return mark_safe("".join(out))  # noqa: S308 - every user-written text above is escaped


def _rating_cell(rating: Any) -> str:
    if rating is None:
        return "<td>—</td>"
    remark = f'<div class="small muted">{escape(rating.remark)}</div>' if rating.remark else ""
    return f"<td>{rating.tier}档{remark}</td>"


def _row(
    row: BoardRow,
    thead: str,
    rate_open: str,
    final_open: str,
    mine_choices: dict[int | None, str],
    final_choices: dict[int | None, str],
    can_rate: bool,
    is_leader: bool,
) -> str:
    criterion = row.criterion
    pk = criterion.pk
    category = f" · {escape(criterion.category)}" if criterion.category else ""
    parts = [
        f'<section class="card" id="row-{pk}"><p><strong>{criterion.order}. {escape(criterion.point)}</strong> '
        f'<span class="small muted">分值 {floatformat(criterion.max_score, "-2")}{category}</span></p>'
    ]
    if not criterion.applicable:
        parts.append('<p class="small muted">评估表列为不适用。</p></section>')
        return "".join(parts)
    own, final, claimed_na = row.self_rating, row.final, row.claimed_na
    if claimed_na and own is not None:
        school = f"申报不适用（理由：{escape(own.na_reason)}）"
    elif own is not None and own.tier:
        school = f"{own.tier}档" + (f" · {escape(own.note)}" if own.note else "")
    else:
        school = "—"
    parts.append(f'<p class="small">学校自评:{school}</p>')
    parts.append(thead)
    parts.extend(_rating_cell(r) for r in row.ratings)
    claim = final.claim if final is not None else ""
    if claim == "confirmed":
        settled = "确认不适用"
    elif final is not None and final.tier:
        badge = ' <span class="badge overdue">需整改</span>' if final.rectify else ""
        settled = f"<strong>{final.tier}档</strong>{badge}"
    else:
        settled = "—"
    parts.append(f"<td>{settled}</td></tr></tbody></table></div>")
    hidden = f'<input type="hidden" name="criterion" value="{pk}">'
    if can_rate and (not claimed_na or claim == "overruled"):
        mine = row.mine
        parts.append(
            f'{rate_open}<p class="small muted">我的评分（独立评定，其他成员的评分互不影响）</p>{hidden}'
            f'<input type="hidden" name="version" value="{mine.version if mine else 0}">'
            f"{mine_choices.get(mine.tier if mine else None, mine_choices[None])}"
            f'<input type="text" name="remark" data-max-chars="1000" aria-label="评估意见" placeholder="评估意见"'
            f' value="{escape(mine.remark) if mine else ""}">'
            '<button type="submit" class="button" data-once>保存我的评分</button></form>'
        )
    if is_leader:
        version = f'<input type="hidden" name="version" value="{final.version if final else 0}">'
        if claimed_na and not claim:
            parts.append(
                f"{final_open}{hidden}{version}"
                '<button type="submit" class="button" name="claim" value="confirm" data-once>确认不适用</button> '
                '<button type="submit" class="button" name="claim" value="overrule" data-once>驳回申报</button></form>'
            )
        elif claim != "confirmed":
            rectify = " checked" if final is not None and final.rectify else ""
            parts.append(
                f'{final_open}{hidden}{version}<p class="small muted">组长确定最终等级</p>'
                f"{final_choices.get(final.tier if final else None, final_choices[None])}"
                f'<label class="inline-check"><input type="checkbox" name="rectify"{rectify}> 需整改</label>'
                '<input type="text" name="remark" data-max-chars="1000" aria-label="整改要求或意见"'
                f' placeholder="评估意见 / 整改要求" value="{escape(final.remark) if final else ""}">'
                '<button type="submit" class="button primary" data-once>确定最终等级</button></form>'
            )
    parts.append("</section>")
    return "".join(parts)
