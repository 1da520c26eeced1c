"""`manage.py serve` (make run): uvicorn with --workers; several processes need Redis."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.parametrize("workers", ["0", "2"])
def test_refuses_workers_it_cannot_serve_without_redis(settings, workers):
    settings.REDIS_URL = ""
    with pytest.raises(CommandError) as exc:
        call_command("serve", "--workers", workers)
    assert "REDIS_URL" in str(exc.value) or "至少" in str(exc.value)
