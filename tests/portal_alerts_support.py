"""Fixtures and helpers shared by the public-alert, CAP and subscription tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal import alerts
from kamtibmas.portal.models import PublicAlert
from tests.conftest import SELATAN_KELURAHAN, make_user


def make_humas() -> User:
    """A public relations officer of the Polres."""
    return make_user("humas.polres", roles.PUBLIC_RELATIONS, "polres-balikpapan")


def alert_values(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    values: dict[str, Any] = {
        "headline_id": "Waspada curanmor di Sepinggan Baru",
        "headline_en": "Motorbike thefts in Sepinggan Baru",
        "description_id": "Rangkaian pencurian sepeda motor pada malam hari.",
        "description_en": "A series of motorbike thefts at night.",
        "instruction_id": "Gunakan kunci ganda.",
        "instruction_en": "Use a second lock.",
        "offence_category": "curanmor",
        "severity": PublicAlert.Severity.MODERATE,
        "urgency": PublicAlert.Urgency.EXPECTED,
        "certainty": PublicAlert.Certainty.LIKELY,
        "effective_at": now,
        "expires_at": now + timedelta(days=14),
    }
    values.update(overrides)
    return values


def issue(
    actor: Any, codes: tuple[str, ...] = (SELATAN_KELURAHAN,), publish: bool = True, **values: Any
) -> PublicAlert:
    """A draft (published unless told otherwise) through the same rules the pages use."""
    kelurahan = list(Kelurahan.objects.filter(code__in=codes))
    alert = alerts.save_draft(PublicAlert(), alert_values(**values), kelurahan, actor)
    return alerts.publish(alert, actor) if publish else alert


def follow_up(actor: Any, original: PublicAlert, msg_type: str) -> PublicAlert:
    draft = alerts.start_follow_up(original, msg_type, actor)
    return alerts.publish(draft, actor)
