"""Aspirations, complaints and tips heard at a community event, filed into the report workflow.

Each one becomes a ``reports.Report`` through ``intake.submit`` (channel ``event``), so it is
routed to a unit, gets its service-level deadlines and a timeline like any other report, and an
``Aspiration`` row links it to the event it was heard at.

Crime reports are not taken here: a crime needs the victim's own statement (who, when, what was
lost), which an officer takes at the front desk or with the public report form. Tips (information
about drug dealing, gambling, a wanted person) are allowed, since they are often told at a
dialogue and need no victim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kamtibmas.accounts import audit
from kamtibmas.community.models import Aspiration, Event
from kamtibmas.geo import lookup
from kamtibmas.reports import intake
from kamtibmas.reports.models import Category, Channel, Kind

# The kinds of report an officer may record at an event (see the module docstring).
KINDS_AT_EVENT = (Kind.ASPIRATION, Kind.COMPLAINT, Kind.TIP)


@dataclass(frozen=True)
class AspirationItem:
    """One topic heard at an event, as the officer wrote it down."""

    kind: str
    category_code: str
    kelurahan_code: str
    description: str
    raised_by: str = ""


def topic_value(kind: str, code: str) -> str:
    """The value of the grouped "topic" choice: kind and category code in one."""
    return f"{kind}:{code}"


def split_topic(value: str) -> tuple[str, str]:
    kind, _sep, code = value.partition(":")
    return kind, code


def topic_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Active categories of the kinds allowed at an event, grouped by kind (for <optgroup>)."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for kind in KINDS_AT_EVENT:
        rows = Category.objects.filter(kind=kind, is_active=True).order_by("order", "code")
        options = [(topic_value(kind, c.code), c.label) for c in rows]
        if options:
            groups.append((str(Kind(kind).label), options))
    return groups


def recording_refusal(event: Event, now: datetime | None = None) -> str:
    """Why nothing can be recorded for the event now ("" when it can): topics are heard during
    or after an event, never before it starts and never at a cancelled one."""
    if event.status == Event.Status.CANCELLED:
        return _("This event was cancelled: nothing was heard there to record.")
    if event.starts_at > (now or timezone.now()):
        return _("This event has not started yet: record what was heard during or after it.")
    return ""


def _uses_event_pin(event: Event, kelurahan_code: str) -> bool:
    """The event's pin places a topic only when it is about the event's own kelurahan (and the
    pin really lies there), so routing follows the place the topic is about."""
    if event.lat is None or event.lon is None or event.kelurahan is None:
        return False
    if kelurahan_code != event.kelurahan.code:
        return False
    area = lookup.find_area(event.lat, event.lon)
    return area is not None and area.kelurahan_id == event.kelurahan_id


def draft_for(event: Event, item: AspirationItem) -> intake.Draft:
    """The report draft of one topic. The person who raised it is not the reporter: their name
    (if they agreed) stays on the ``Aspiration`` row, never in the report's reporter fields."""
    pin = _uses_event_pin(event, item.kelurahan_code)
    return intake.Draft(
        kind=item.kind,
        category_code=item.category_code,
        description=item.description.strip(),
        lat=event.lat if pin else None,
        lon=event.lon if pin else None,
        address_text=event.place_name[:300] if pin else "",
        kelurahan_code=item.kelurahan_code,
    )


def check(event: Event, items: list[AspirationItem]) -> dict[int, dict[str, list[str]]]:
    """Validate every item the way intake will; errors by item index (empty: all good)."""
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        problems: dict[str, list[str]] = {}
        if item.kind not in KINDS_AT_EVENT:
            problems["kind"] = [_("Crime reports are taken at the front desk, not here.")]
        else:
            try:
                intake.validate(draft_for(event, item))
            except intake.IntakeError as exc:
                problems = exc.errors
        if problems:
            errors[index] = problems
    return errors


@transaction.atomic
def file_all(
    event: Event, items: list[AspirationItem], by: Any, *, batch_key: str
) -> list[Aspiration]:
    """File every item (all or none) and link each to the event. ``batch_key`` makes a resent
    form (a double click, a retry on a bad connection) return the topics already filed."""
    return [
        _file_one(event, item, by, f"event:{event.pk}:{batch_key[:40]}:{index}")
        for index, item in enumerate(items)
    ]


def _file_one(event: Event, item: AspirationItem, by: Any, key: str) -> Aspiration:
    if item.kind not in KINDS_AT_EVENT:
        raise intake.IntakeError(
            {"kind": [_("Crime reports are taken at the front desk, not here.")]}
        )
    report = intake.submit(
        draft_for(event, item), channel=Channel.EVENT, user=by, idempotency_key=key
    )
    aspiration, created = Aspiration.objects.get_or_create(
        report=report,
        defaults={"event": event, "raised_by": item.raised_by.strip(), "created_by": by},
    )
    if created:
        audit.record(
            by,
            "aspiration.create",
            aspiration,
            purpose="record a topic heard at a community event",
            event_id=event.pk,
            report=report.tracking_code,
            kind=report.kind,
            category=report.category.code,
            raised_by_recorded=bool(aspiration.raised_by),
        )
    return aspiration
