"""Drafting many plans at once: every Polsek for a shift ("Buat semua rencana"), and the nightly
job that drafts the coming night's and next day's plans.

Both only ever add drafts: a unit that already has a plan for the shift and group (draft,
issued or closed) keeps it untouched, so running them again changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from kamtibmas.forecasts.groups import DEFAULT_GROUP
from kamtibmas.forecasts.shifts import WITA, Shift, next_shifts
from kamtibmas.forecasts.windows import nightly_hour
from kamtibmas.geo.models import Unit
from kamtibmas.patrols.services import PlanError, draft_plan

log = logging.getLogger(__name__)
NIGHTLY_SHIFTS = 3  # the coming night's shift and the next day's (with the default shifts)


@dataclass
class BulkResult:
    made: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # unit code: the reason (translated)

    def summary(self) -> str:
        return f"made {len(self.made)}, kept {len(self.existing)}, failed {len(self.failed)}"


def planning_units() -> list[Unit]:
    qs = Unit.objects.filter(is_active=True, kind__in=(Unit.Kind.POLSEK, Unit.Kind.KSKP))
    return list(qs.order_by("name"))


def draft_all(
    shifts: list[Shift], group: str = DEFAULT_GROUP, user: Any = None,
    units: list[Unit] | None = None,
) -> BulkResult:  # fmt: skip
    """A draft for each unit (default: every active Polsek and KSKP) and shift that has no
    plan yet; a unit that cannot get one (no forecast) is reported, the others go on."""
    result = BulkResult()
    for shift in shifts:
        for unit in planning_units() if units is None else units:
            key = f"{unit.code} {shift.key}"
            try:
                drafted = draft_plan(unit, shift, group, user)
            except PlanError as exc:
                log.warning("no patrol plan for unit %s shift %s", unit.pk, shift.key)
                result.failed[key] = str(exc)
                continue
            (result.made if drafted.created else result.existing).append(key)
    return result


def draft_hour() -> int:
    """Drafts are made from one hour after the nightly forecasts (19:00 WITA by default), so
    they use the stored forecasts and the commander has the evening to check them."""
    return min(23, nightly_hour() + 1)


def nightly_shifts(now: datetime) -> list[Shift]:
    """The shifts the nightly job drafts at ``now``: none before the draft hour (WITA), after
    it the next ``NIGHTLY_SHIFTS`` shifts that have not started."""
    local = now.astimezone(WITA)
    if local.time() < time(draft_hour()):
        return []
    return next_shifts(local, NIGHTLY_SHIFTS)


def run_nightly(now: datetime, group: str = DEFAULT_GROUP) -> BulkResult:
    """Drafts for every Polsek for the nightly shifts (idempotent; issued plans untouched)."""
    return draft_all(nightly_shifts(now), group)
