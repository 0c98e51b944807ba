"""Who calls the staff API: a per-user API key (``Authorization: Bearer kmt_…`` or
``X-API-Key``) or a logged-in session (CSRF enforced on writes). Each call is throttled per key
(or per user for sessions) with ``settings.API_THROTTLE``."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from kamtibmas import throttle
from kamtibmas.accounts.models import ApiKey
from kamtibmas.api_errors import ApiError, RateLimited

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The caller of a staff endpoint (``request.auth``)."""

    user: Any
    key: ApiKey | None = None

    @property
    def can_write(self) -> bool:
        """Sessions may write; keys only with the read_write scope."""
        return self.key is None or self.key.can_write

    @property
    def ident(self) -> str:
        return f"key:{self.key.pk}" if self.key is not None else f"user:{self.user.pk}"


def require_write(principal: Principal) -> None:
    if not principal.can_write:
        raise ApiError(
            403,
            "read_only_key",
            _("This API key can only read. Create a read-and-write key to make changes."),
        )


def _admit(principal: Principal) -> Principal:
    verdict = throttle.hit("api", principal.ident, settings.API_THROTTLE)
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
    return principal


def principal_for_key(raw: str) -> Principal:
    key = ApiKey.authenticate(raw.strip())
    if key is None:
        raise ApiError(401, "invalid_api_key", _("The API key is not valid or has been revoked."))
    return _admit(Principal(key.user, key))


class BearerKey(HttpBearer):
    """``Authorization: Bearer kmt_…``"""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        return principal_for_key(token) if token.strip() else None


class HeaderKey(APIKeyHeader):
    """``X-API-Key: kmt_…``"""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        return principal_for_key(key) if key and key.strip() else None


class StaffSession(APIKeyCookie):
    """A logged-in user of the web pages. CSRF is checked on unsafe methods only when a session
    is actually in use, so key-only clients never meet a CSRF error."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(
                403,
                "csrf_failed",
                _("CSRF check failed: send the X-CSRFToken header with a session."),
            )
        return _admit(Principal(user))


STAFF_AUTH = [BearerKey(), HeaderKey(), StaffSession()]


class IpThrottle(BaseThrottle):
    """Per-IP limit for the public endpoints, counted in the shared cache (kamtibmas.throttle).

    ``setting`` names the rate in settings, read per request so tests can override it."""

    def __init__(self, scope: str, setting: str) -> None:
        self.scope = scope
        self.setting = setting
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        verdict = throttle.hit(
            self.scope, throttle.client_ip(request), str(getattr(settings, self.setting))
        )
        self._local.wait = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return float(max(1, getattr(self._local, "wait", 1)))
