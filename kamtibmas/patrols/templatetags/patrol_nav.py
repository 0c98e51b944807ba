"""Template filters for patrol links in the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from kamtibmas.accounts import roles

register = template.Library()


@register.filter
def logs_patrol_visits(user: Any) -> bool:
    """True for the officers who log patrol visits from a phone: patrol and community officers
    (commanders reach the phone page from a plan)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_officer", False):
        return False
    return bool(user.has_role(roles.PATROL_OFFICER, roles.COMMUNITY_OFFICER))
