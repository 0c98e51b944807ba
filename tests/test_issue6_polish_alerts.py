"""The staff alert list says where each alert stands: superseded by an Update, cancelled,
expired or in force, with a link to the newer message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kamtibmas.portal import alert_states, alerts
from kamtibmas.portal.models import PublicAlert
from tests.portal_alerts_support import follow_up, issue, make_humas

pytestmark = pytest.mark.django_db

STAFF = "/petugas/peringatan-publik/"


def _row(page: str, headline: str) -> str:
    """The table row whose first link is ``headline``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        if f">{headline}</a>" in row.split("</td>", 1)[0]:
            return row
    raise AssertionError(f"no row for {headline}")


def test_the_staff_list_names_superseded_cancelled_and_expired_alerts() -> None:
    humas = make_humas()
    replaced = issue(humas, headline_id="Curanmor lama")
    update = follow_up(humas, replaced, PublicAlert.MsgType.UPDATE)
    PublicAlert.objects.filter(pk=update.pk).update(headline_id="Curanmor pembaruan")
    cancelled = issue(humas, headline_id="Begal dibatalkan")
    cancel = follow_up(humas, cancelled, PublicAlert.MsgType.CANCEL)
    PublicAlert.objects.filter(pk=cancel.pk).update(headline_id="Pembatalan begal")
    expired = issue(humas, headline_id="Jambret kedaluwarsa")
    PublicAlert.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    issue(humas, publish=False, headline_id="Masih draf")
    client = Client()
    client.force_login(humas)
    page = client.get(STAFF).content.decode()
    row = _row(page, "Curanmor lama")
    assert "Diperbarui oleh" in row and f'href="{STAFF}{update.pk}/"' in row
    assert "Curanmor pembaruan" in row and "Diterbitkan" not in row
    row = _row(page, "Begal dibatalkan")
    assert "Dibatalkan oleh" in row and f'href="{STAFF}{cancel.pk}/"' in row
    assert "pemberitahuan pembatalan" in _row(page, "Pembatalan begal")
    assert "Kedaluwarsa" in _row(page, "Jambret kedaluwarsa")
    assert "Diterbitkan, berlaku" in _row(page, "Curanmor pembaruan")
    assert "Konsep" in _row(page, "Masih draf")


def test_a_draft_follow_up_does_not_change_the_original_state() -> None:
    humas = make_humas()
    original = issue(humas)
    alerts.start_follow_up(original, PublicAlert.MsgType.UPDATE, humas)  # not published
    [(_alert, state)] = [
        row for row in alert_states.with_states(PublicAlert.objects.all(), timezone.now())
        if row[0].pk == original.pk
    ]  # fmt: skip
    assert state.code == "in_force" and state.follow_up is None
