"""Staff sessions expire after SESSION_IDLE_MINUTES without a request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class IdleSessionTimeoutMiddleware:
    KEY = "last_seen"
    # The stamp is refreshed at most once a minute, so most requests do not write the session.
    REFRESH_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - int(last) > settings.SESSION_IDLE_MINUTES * 60:
                logout(request)
            elif last is None or now - int(last) >= self.REFRESH_SECONDS:
                request.session[self.KEY] = now
        return self.get_response(request)
