"""The roles of the glossary as Django groups (created on every reference load)."""

from __future__ import annotations

from django.contrib.auth.models import Group

from kamtibmas.accounts import roles


def ensure_role_groups() -> int:
    """Create a group per role code; returns how many were new."""
    created = 0
    for code in roles.ALL_ROLES:
        _group, was_created = Group.objects.get_or_create(name=code)
        created += int(was_created)
    return created
