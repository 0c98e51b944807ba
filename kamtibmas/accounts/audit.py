"""Write audit events (changes and reads of personal data)."""

from __future__ import annotations

from typing import Any

from kamtibmas.accounts.models import AuditEvent


def record(actor: Any, action: str, obj: Any, *, purpose: str = "", **detail: Any) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_unit_id=getattr(user, "unit_id", None),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.pk),
        purpose=purpose,
        detail=detail,
    )
