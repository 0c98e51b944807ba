"""Which incidents a user may see, and who may create, edit and import them.

Same rules as reports (``kamtibmas.reports.scoping``): Polres-level staff and administrators
see every incident of every dataset; a Polsek officer sees the Balikpapan incidents of their
unit subtree; a Bhabinkamtibmas those of their kelurahan; residents and the public none.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kamtibmas.accounts import roles
from kamtibmas.incidents.models import BALIKPAPAN, ImportBatch, Incident
from kamtibmas.reports.scoping import scope_to_officer, sees_all

# Who may create and edit incident records (within their scope): the desk (SPKT) records a
# verified offence, investigators keep the case facts current, analysts clean the data,
# commanders and administrators oversee. Community, patrol and Humas officers only read.
INCIDENT_EDIT_ROLES = frozenset(
    {roles.DESK_OFFICER, roles.INVESTIGATOR, roles.ANALYST, roles.COMMANDER, roles.ADMIN}
)
# Who may import CSV files: analysts, commanders and administrators at Polres level, since an
# import may touch any unit's records and any dataset.
INCIDENT_IMPORT_ROLES = frozenset({roles.ANALYST, roles.COMMANDER, roles.ADMIN})


def incidents_for(user: Any) -> QuerySet[Incident]:
    """Incidents visible to ``user`` (empty for residents and anonymous visitors)."""
    qs = Incident.objects.all()
    if sees_all(user):
        return qs
    return scope_to_officer(qs.filter(dataset=BALIKPAPAN), user, unit_field="unit_id")


def can_view(user: Any, incident: Incident) -> bool:
    return incidents_for(user).filter(pk=incident.pk).exists()


def can_create(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_officer", False)
        and user.has_role(*INCIDENT_EDIT_ROLES)
    )


def can_edit(user: Any, incident: Incident) -> bool:
    return can_create(user) and can_view(user, incident)


def can_import(user: Any) -> bool:
    """Polres-level analysts, commanders and administrators (superusers included)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return sees_all(user) and user.has_role(*INCIDENT_IMPORT_ROLES)


def batches_for(user: Any) -> QuerySet[ImportBatch]:
    """Import batches the user may follow: every batch for importers, none for others."""
    if can_import(user):
        return ImportBatch.objects.all()
    return ImportBatch.objects.none()


def allowed_unit_ids(user: Any) -> set[int] | None:
    """Units whose incidents the user may place records in; None means any unit."""
    if sees_all(user):
        return None
    return set(user.unit.descendant_ids()) if getattr(user, "unit", None) else set()
