"""The acceptance certificate (评估验收合格证书) as a PDF rendered by the server, offline: reportlab
with its built-in CJK font STSong-Light (a CID font the PDF viewer supplies; nothing is fetched
and no font file is shipped)."""

from __future__ import annotations

import datetime
import io

from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from acceptance.models import Application
from audit.models import AuditCheckpoint

FONT = "STSong-Light"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def checkpoint_line() -> str | None:
    """The latest signed checkpoint of the history (audit.chain), for the certificate to print: the
    bureau can later check the history against it (``verify_audit``). None before the first one."""
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    if checkpoint is None:
        return None
    try:
        signed = datetime.datetime.fromisoformat(checkpoint.signed_at)
        at = timezone.localtime(signed).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        at = checkpoint.signed_at
    return f"操作记录检查点：第 {checkpoint.seq} 条  链头哈希 {checkpoint.head_hash[:16]}…  签署于 {at}"


def certificate_pdf(application: Application, bureau_name: str, team: list[str]) -> bytes:
    """The certificate of an accepted application: school, plan, score, date, the inspection team
    and the reference the bureau checks (Application.certificate_ref)."""
    font = _font()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"评估验收合格证书 {application.certificate_ref}")
    pdf.setSubject(f"certificate {application.certificate_ref}")  # plain ASCII: checkable by tools
    pdf.setLineWidth(3)
    pdf.rect(30, 30, width - 60, height - 60)
    pdf.setLineWidth(1)
    pdf.rect(38, 38, width - 76, height - 76)
    pdf.setFont(font, 34)
    pdf.drawCentredString(width / 2, height - 120, "评估验收合格证书")
    plan = application.plan
    lines = [
        f"{plan.school.name}:",
        f"你校《{plan.title}》（{plan.year} 年度）经评估验收，",
        f"得分 {application.final_score} 分，评定为合格，特发此证。",
    ]
    pdf.setFont(font, 18)
    y = height - 190
    for line in lines:
        pdf.drawString(90, y, line)
        y -= 36
    pdf.setFont(font, 13)
    accepted = application.accepted_at.strftime("%Y年%m月%d日") if application.accepted_at else ""
    inspected = application.inspection_date.strftime("%Y年%m月%d日") if application.inspection_date else ""
    details = [
        f"验收日期：{inspected}    评估组：{'、'.join(team)}",
        f"证书编号：{application.certificate_ref}    （可向{bureau_name}督导室核验）",
    ]
    y -= 20
    for line in details:
        pdf.drawString(90, y, line)
        y -= 24
    checkpoint = checkpoint_line()
    if checkpoint:
        pdf.setFont(font, 9)
        pdf.drawString(90, 52, checkpoint)
        pdf.setFont(font, 13)
    pdf.setFont(font, 18)
    pdf.drawRightString(width - 90, 110, bureau_name)
    pdf.drawRightString(width - 90, 80, accepted)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
