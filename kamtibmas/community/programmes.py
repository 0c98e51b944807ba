"""Programmes: create and change them (one audit row per save, naming the changed fields) and
the figures shown on a programme's page. Views and the admin call these, never ``save()``."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from kamtibmas.accounts import audit
from kamtibmas.community.models import Event, Programme, Registration
from kamtibmas.geo.models import Unit
from kamtibmas.reports.scoping import sees_all

AUDITED_FIELDS = ("name", "kind", "description", "organising_unit", "audience", "is_active")


def organising_units(user: Any) -> QuerySet[Unit]:
    """Units a user may name as organiser: their unit and those below it (Polres: all)."""
    units = Unit.objects.filter(is_active=True).order_by("kind", "name")
    if sees_all(user):
        return units
    if getattr(user, "unit", None) is None:
        return units.none()
    return units.filter(pk__in=user.unit.descendant_ids())


def _snapshot(programme: Programme) -> dict[str, str]:
    values = {f: str(getattr(programme, f"{f}_id" if f == "organising_unit" else f)) for f in
              AUDITED_FIELDS}  # fmt: skip
    values["target_kelurahan"] = ",".join(
        sorted(str(pk) for pk in programme.target_kelurahan.values_list("pk", flat=True))
    )
    return values


@transaction.atomic
def save_programme(form: Any, user: Any) -> Programme:
    """Save a bound, valid ProgrammeForm; audit the names of the fields that changed."""
    creating = form.instance.pk is None
    before = {} if creating else _snapshot(Programme.objects.get(pk=form.instance.pk))
    programme: Programme = form.save(commit=False)
    if creating:
        programme.created_by = user if getattr(user, "is_authenticated", False) else None
    programme.save()
    form.save_m2m()
    after = _snapshot(programme)
    changed = sorted(k for k in after if before.get(k) != after[k])
    if creating or changed:
        action = "programme_created" if creating else "programme_changed"
        audit.record(user, action, programme, purpose="community programme", fields=changed)
    return programme


def event_counts(programme: Programme) -> dict[str, int]:
    """Events by status, registrations (not cancelled) and attendees over all its events."""
    by_status = programme.events.aggregate(
        planned=Count("pk", filter=Q(status=Event.Status.PLANNED)),
        held=Count("pk", filter=Q(status=Event.Status.HELD)),
        cancelled=Count("pk", filter=Q(status=Event.Status.CANCELLED)),
    )
    people = Registration.objects.filter(event__programme=programme, cancelled_at__isnull=True)
    return {
        **by_status,
        "registrations": people.count(),
        "attended": people.filter(attended_at__isnull=False).count(),
    }
