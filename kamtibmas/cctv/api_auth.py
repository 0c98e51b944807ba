"""Authentication of the CCTV workers with their own rate limit.

Workers post events and heartbeats at a steady, camera-driven rate; counting them against
``API_THROTTLE`` would let a busy site starve a key's general API use (or the other way round).
These classes accept the same API keys as ``kamtibmas.accounts.api_auth`` but count each call
per key in the scope ``cctv_api`` with ``settings.CCTV_API_THROTTLE`` requests a minute. A
logged-in session (a person trying the endpoint) keeps the general limit.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import APIKeyHeader, HttpBearer

from kamtibmas import throttle
from kamtibmas.accounts.api_auth import Principal, StaffSession
from kamtibmas.accounts.models import ApiKey
from kamtibmas.api_errors import ApiError, RateLimited

SCOPE = "cctv_api"


def worker_principal(raw: str) -> Principal:
    """The caller of an API key, once its CCTV budget admits one more request."""
    key = ApiKey.authenticate(raw.strip())
    if key is None:
        raise ApiError(401, "invalid_api_key", _("The API key is not valid or has been revoked."))
    principal = Principal(key.user, key)
    verdict = throttle.hit(SCOPE, principal.ident, f"{settings.CCTV_API_THROTTLE}/m")
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)
    return principal


class WorkerBearer(HttpBearer):
    """``Authorization: Bearer kmt_…`` (what ``kamtibmas-cctv`` sends)."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        return worker_principal(token) if token.strip() else None


class WorkerHeaderKey(APIKeyHeader):
    """``X-API-Key: kmt_…``"""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        return worker_principal(key) if key and key.strip() else None


WORKER_AUTH = [WorkerBearer(), WorkerHeaderKey(), StaffSession()]
