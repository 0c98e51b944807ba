"""Authentication with lockout after repeated failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from kamtibmas.accounts.models import LoginFailure


def _window_start() -> Any:
    return timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str) -> bool:
    recent = LoginFailure.objects.filter(username=username.lower(), at__gte=_window_start())
    return recent.count() >= settings.LOGIN_MAX_FAILURES


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses a username after LOGIN_MAX_FAILURES failures in the window."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if not username:
            return None
        key = username.lower()
        if is_locked_out(key):
            if request is not None:
                request.login_locked_out = True  # type: ignore[attr-defined]
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            LoginFailure.objects.create(username=key)
            if is_locked_out(key) and request is not None:
                request.login_locked_out = True  # type: ignore[attr-defined]
        else:
            LoginFailure.objects.filter(username=key).delete()
        return user
