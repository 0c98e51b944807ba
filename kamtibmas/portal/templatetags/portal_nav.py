"""Which public-content menu entries a signed-in officer gets (public relations, commanders)."""

from __future__ import annotations

from typing import Any

from django import template

from kamtibmas.portal import alerts, content

register = template.Library()


@register.filter
def edits_public_content(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and content.can_edit(user))


@register.filter
def reads_public_alerts(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and alerts.can_read(user))
