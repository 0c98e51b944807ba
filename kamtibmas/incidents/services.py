"""Every change to an incident record goes through here. Each changed field writes an
IncidentEvent (old -> new, with the actor) and bumps ``version``, so two officers cannot
silently overwrite each other (the same optimistic locking as ``reports.workflow``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.incidents.models import BALIKPAPAN, Incident, IncidentEvent

EDITABLE_FIELDS = (
    "dataset",
    "lp_number",
    "category",
    "occurred_from",
    "occurred_to",
    "reported_at",
    "lat",
    "lon",
    "location_accuracy_m",
    "kelurahan",
    "unit",
    "premises_type",
    "modus_operandi",
    "status",
    "victims_count",
    "suspects_count",
    "value_lost",
    "description",
)

# Set when a record is created (by a command or a link), never edited on the staff pages.
CREATE_ONLY_FIELDS = ("external_id", "source_category", "source_report", "is_synthetic")


class IncidentError(Exception):
    """A change the rules refuse; ``code`` is stable, ``message`` is translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StaleIncidentError(IncidentError):
    def __init__(self) -> None:
        super().__init__(
            "stale",
            _(
                "Someone else changed this incident while you were editing. "
                "Your change was not saved; reload the page to see their change."
            ),
        )


@dataclass(frozen=True)
class Place:
    """Kelurahan and responsible unit of a point (both None outside Balikpapan)."""

    kelurahan: Kelurahan | None
    unit: Unit | None


def place_of(lat: float | None, lon: float | None, dataset: str = BALIKPAPAN) -> Place | None:
    """The derived place of a Balikpapan point; None when there is no point, the dataset is
    another city's, or the point lies outside the area."""
    if lat is None or lon is None or dataset != BALIKPAPAN:
        return None
    area = lookup.locate(lat, lon)
    if area is None:
        return None
    kelurahan = Kelurahan.objects.get(pk=area.kelurahan_id)
    unit = Unit.objects.filter(pk=area.unit_id).first() if area.unit_id else None
    return Place(kelurahan, unit)


def display(value: Any) -> str:
    """How a value is written in the audit trail (times in WITA with their offset)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else str(value)
    if isinstance(value, Model):
        return str(value)
    return str(value)


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _check_fields(names: set[str], allowed: tuple[str, ...] = EDITABLE_FIELDS) -> None:
    unknown = names - set(allowed)
    if unknown:
        raise IncidentError(
            "field_not_editable",
            _("These fields cannot be edited: %s") % ", ".join(sorted(unknown)),
        )


def _with_codes(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "kelurahan" in out:
        kel = out["kelurahan"]
        out["kelurahan_code"] = kel.code if kel is not None else ""
    return out


def record_creation(incident: Incident, by: Any) -> list[IncidentEvent]:
    """Audit a new incident: one ``created`` row per field that has a value (∅ -> value)."""
    actor = _actor(by)
    rows = [
        IncidentEvent(
            incident=incident,
            actor=actor,
            action="created",
            field=name,
            new_value=display(getattr(incident, name)),
        )
        for name in EDITABLE_FIELDS + CREATE_ONLY_FIELDS
        if getattr(incident, name) not in (None, "", False)
    ]
    return IncidentEvent.objects.bulk_create(rows)


@transaction.atomic
def create_incident(values: dict[str, Any], by: Any) -> Incident:
    """Create an incident from ``values`` (editable fields only) and audit it."""
    _check_fields(set(values), EDITABLE_FIELDS + CREATE_ONLY_FIELDS)
    now = timezone.now()
    incident = Incident(created_at=now, updated_at=now, **_with_codes(values))
    incident.save()
    record_creation(incident, by)
    return incident


@transaction.atomic
def update_incident(
    incident: Incident, by: Any, changes: dict[str, Any], *, expected_version: int | None = None
) -> Incident:
    """Change editable fields; each changed field is audited as old -> new.

    Raises StaleIncidentError when someone saved the incident since ``expected_version``."""
    _check_fields(set(changes))
    diffs = {k: (getattr(incident, k), v) for k, v in changes.items() if getattr(incident, k) != v}
    version = incident.version if expected_version is None else expected_version
    if not diffs:
        if version != incident.version:
            raise StaleIncidentError()
        return incident
    updates = _with_codes({k: new for k, (_old, new) in diffs.items()})
    count = Incident.objects.filter(pk=incident.pk, version=version).update(
        version=F("version") + 1, updated_at=timezone.now(), **updates
    )
    if count != 1:
        raise StaleIncidentError()
    incident.refresh_from_db()
    actor = _actor(by)
    IncidentEvent.objects.bulk_create(
        IncidentEvent(
            incident=incident,
            actor=actor,
            action="changed",
            field=name,
            old_value=display(old),
            new_value=display(new),
        )
        for name, (old, new) in diffs.items()
    )
    return incident
