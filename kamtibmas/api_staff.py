"""What the staff-only API routers share: the caller must be staff, and a unit filter must name
one of the caller's units (errors in the API's ``{code, message, fields}`` shape)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kamtibmas.accounts.api_auth import Principal
from kamtibmas.api_errors import ApiError, invalid
from kamtibmas.geo.models import Unit
from kamtibmas.reports.schemas import ErrorOut
from kamtibmas.reports.scoping import sees_all

MAX_CODE = 60
# The error responses every staff endpoint documents (all in the {code, message, fields} shape).
STAFF_ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 429)}


def staff_user(request: HttpRequest, refusal: str) -> Any:
    """The caller's user if staff; anyone else (a resident's key) gets 403 with ``refusal``."""
    principal: Principal = request.auth  # type: ignore[attr-defined]
    user = principal.user
    if not (sees_all(user) or getattr(user, "is_officer", False)):
        raise ApiError(403, "forbidden", refusal)
    return user


def unit_and_below(code: str, visible: set[int] | None) -> set[int]:
    """Ids of the active unit ``code`` and the units below it; 400 unless it is among
    ``visible`` (None: the caller sees every unit)."""
    code = code.strip()
    unit = None
    if code.isascii() and code.isprintable() and len(code) <= MAX_CODE:  # no NUL for PostgreSQL
        unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None or (visible is not None and unit.pk not in visible):
        raise invalid({"unit": [_("Unknown unit, or not one of your units.")]})
    return unit.descendant_ids()
