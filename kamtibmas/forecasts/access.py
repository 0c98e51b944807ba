"""Who may see forecasts and who may make them. Forecasts are for staff only, never public.

Polres-level staff and administrators see every unit's forecasts, and so do the Polres's
satuan (Sat Samapta patrols the whole city); an officer of a Polsek
(a Bhabinkamtibmas included) those of their unit and the units below it; residents and the
public none. Commanders, analysts and administrators may make forecasts on demand, for the
units they see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.forecasts.models import ForecastRun
from kamtibmas.geo.models import Unit
from kamtibmas.reports.scoping import sees_all

MAKE_ROLES = frozenset({roles.COMMANDER, roles.ANALYST, roles.ADMIN})


def visible_unit_ids(user: Any) -> set[int] | None:
    """Units whose forecasts the user may see; None means every unit."""
    if sees_all(user):
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_officer:
        return set()
    unit = user.unit
    if unit.kind == Unit.Kind.SATUAN and unit.parent is not None:
        unit = unit.parent  # Sat Samapta, Sat Reskrim...: Polres-level, they patrol the city
    return set(unit.descendant_ids())


def forecasts_for(user: Any) -> QuerySet[ForecastRun]:
    qs = ForecastRun.objects.select_related("unit")
    ids = visible_unit_ids(user)
    return qs if ids is None else qs.filter(unit_id__in=ids)


def units_for(user: Any) -> QuerySet[Unit]:
    """Polsek and KSKP units the user may see forecasts of, by name."""
    from kamtibmas.forecasts.data import FORECAST_KINDS

    qs = Unit.objects.filter(is_active=True, kind__in=FORECAST_KINDS).order_by("name")
    ids = visible_unit_ids(user)
    return qs if ids is None else qs.filter(pk__in=ids)


def can_make(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_officer", False)
        and user.has_role(*MAKE_ROLES)
    )
