"""Bahasa Indonesia first: web pages ignore the browser's Accept-Language.

Many phones in Indonesia announce English; the pages speak Indonesian until the person picks
English with the language switch (a cookie). The JSON API and Open311 keep honouring
Accept-Language, since their clients ask for a language on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

NEGOTIATED_PREFIXES = ("/api/", "/open311/")


class IndonesianFirstMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(NEGOTIATED_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
