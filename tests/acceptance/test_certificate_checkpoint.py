"""The acceptance certificate prints the latest signed checkpoint of the history, when there is one."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from reportlab.pdfgen import canvas

from acceptance.certificate import certificate_pdf
from audit.models import AuditCheckpoint

pytestmark = pytest.mark.django_db


def drawn_text(monkeypatch):
    texts: list[str] = []
    for name in ("drawString", "drawCentredString", "drawRightString"):
        original = getattr(canvas.Canvas, name)

        def record(self, x, y, text, *args, _original=original, **kwargs):
            texts.append(text)
            return _original(self, x, y, text, *args, **kwargs)

        monkeypatch.setattr(canvas.Canvas, name, record)
    return texts


def application():
    school = SimpleNamespace(name="a学校")
    plan = SimpleNamespace(school=school, title="实施方案", year=2026)
    return SimpleNamespace(plan=plan, certificate_ref="YS-2026-0001", final_score="92.50",
                           accepted_at=datetime.date(2026, 11, 20), inspection_date=datetime.date(2026, 11, 1))


def test_the_latest_checkpoint_is_printed(monkeypatch):
    AuditCheckpoint.objects.create(seq=41, head_hash="a" * 64, signed_at="2026-11-28T16:00:00.000000+00:00",
                                   signature="s", public_key="k")
    AuditCheckpoint.objects.create(seq=97, head_hash="0123456789abcdef" + "f" * 48,
                                   signed_at="2026-11-29T16:30:00.000000+00:00", signature="s", public_key="k")
    texts = drawn_text(monkeypatch)
    body = certificate_pdf(application(), "示范县教育局", ["张三"])
    assert body.startswith(b"%PDF-")
    line = next(t for t in texts if "检查点" in t)
    # sequence, head hash prefix, and the signing time in Asia/Shanghai (16:30 UTC = 00:30 next day)
    assert "第 97 条" in line and "0123456789abcdef" in line and "2026-11-30 00:30" in line


def test_no_checkpoint_no_line(monkeypatch):
    texts = drawn_text(monkeypatch)
    certificate_pdf(application(), "示范县教育局", ["张三"])
    assert texts and not any("检查点" in t for t in texts)
