"""Roles are Django groups named by these codes (see the glossary)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

DESK_OFFICER = "desk_officer"
COMMUNITY_OFFICER = "community_officer"
PATROL_OFFICER = "patrol_officer"
INVESTIGATOR = "investigator"
ANALYST = "analyst"
COMMANDER = "commander"
PUBLIC_RELATIONS = "public_relations"
ADMIN = "admin"
CITIZEN = "citizen"

STAFF_ROLES = (
    DESK_OFFICER,
    COMMUNITY_OFFICER,
    PATROL_OFFICER,
    INVESTIGATOR,
    ANALYST,
    COMMANDER,
    PUBLIC_RELATIONS,
    ADMIN,
)
ALL_ROLES = (*STAFF_ROLES, CITIZEN)

ROLE_LABELS = {
    DESK_OFFICER: _("Desk officer (SPKT)"),
    COMMUNITY_OFFICER: _("Community officer (Bhabinkamtibmas)"),
    PATROL_OFFICER: _("Patrol officer (Samapta)"),
    INVESTIGATOR: _("Investigator (Reskrim/Resnarkoba)"),
    ANALYST: _("Crime analyst"),
    COMMANDER: _("Commander (Kapolres/Kapolsek)"),
    PUBLIC_RELATIONS: _("Public relations (Humas)"),
    ADMIN: _("Administrator"),
    CITIZEN: _("Resident"),
}

# Who may change a report's status, assignment or fields (triage).
TRIAGE_ROLES = frozenset({DESK_OFFICER, COMMANDER, INVESTIGATOR, ADMIN})
# Who may read a reporter's contact details when the reporter did not ask for anonymity.
CONTACT_ROLES = frozenset({DESK_OFFICER, COMMANDER, INVESTIGATOR, COMMUNITY_OFFICER})
# Who may read the identity of a reporter who asked to stay anonymous.
ANONYMOUS_IDENTITY_ROLES = frozenset({COMMANDER, INVESTIGATOR})
