"""Staff sessions end after SESSION_IDLE_MINUTES without a request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone


def test_an_idle_staff_session_ends_and_an_active_one_does_not(officer_selatan: Any) -> None:
    client = Client()
    client.force_login(officer_selatan)
    start = timezone.now()
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    with time_machine.travel(start, tick=False):
        assert client.get("/petugas/laporan/").status_code == 200
    with time_machine.travel(start + idle - timedelta(minutes=1), tick=False):
        assert client.get("/petugas/laporan/").status_code == 200  # still active
    with time_machine.travel(start + 2 * idle, tick=False):
        response = client.get("/petugas/laporan/")
    assert response.status_code == 302 and "/akun/masuk/" in response["Location"]
