"""Open311 GeoReport v2 endpoints (/open311/v2/). Each answers in the format of its extension
(.json or .xml); errors in Open311's error format with the right HTTP status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kamtibmas import throttle
from kamtibmas.open311 import georeport
from kamtibmas.open311.georeport import Open311Error
from kamtibmas.open311.serializers import render, render_errors

logger = logging.getLogger(__name__)

Handler = Callable[..., tuple[Any, str]]


def _throttle(request: HttpRequest) -> None:
    if request.method == "POST":
        verdict = throttle.hit(
            "open311_post", throttle.client_ip(request), settings.REPORT_THROTTLE
        )
    else:
        verdict = throttle.hit("open311", throttle.client_ip(request), settings.API_THROTTLE)
    if not verdict.allowed:
        raise _RateLimited(max(1, verdict.retry_after))


class _RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def endpoint(*methods: str) -> Callable[[Handler], Callable[..., HttpResponse]]:
    """Method check, throttle, jurisdiction check and error format around a handler that
    returns (data, xml root tag)."""

    def decorate(handler: Handler) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(handler)
        def view(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise Open311Error(405, _("Method %s is not allowed here.") % request.method)
                _throttle(request)
                params = request.POST if request.method == "POST" else request.GET
                georeport.check_jurisdiction(georeport.param(params, "jurisdiction_id"))
                data, root = handler(request, **kwargs)
                return render(data, fmt, root)
            except Open311Error as exc:
                logger.info("open311 error %s", exc.status)
                return render_errors(exc.descriptions, fmt, exc.status)
            except _RateLimited as exc:
                response = render_errors(
                    [
                        _("Too many requests. Try again in %(seconds)d seconds.")
                        % {"seconds": exc.retry_after}
                    ],
                    fmt,
                    429,
                )
                response["Retry-After"] = str(exc.retry_after)
                return response

        return view

    return decorate


@endpoint("GET")
def discovery(request: HttpRequest) -> tuple[Any, str]:
    return georeport.discovery(), "discovery"


@endpoint("GET")
def services(request: HttpRequest) -> tuple[Any, str]:
    return georeport.services(), "services"


@endpoint("GET")
def service_definition(request: HttpRequest, service_code: str) -> tuple[Any, str]:
    return georeport.service_definition(service_code), "service_definition"


@endpoint("GET", "POST")
def requests(request: HttpRequest) -> tuple[Any, str]:
    if request.method == "POST":
        return georeport.create_request(request.POST), "service_requests"
    return georeport.find_requests(request.GET), "service_requests"


@endpoint("GET")
def request_detail(request: HttpRequest, request_id: str) -> tuple[Any, str]:
    return [georeport.get_request(request_id)], "service_requests"


@endpoint("GET")
def token(request: HttpRequest, token: str) -> tuple[Any, str]:
    return [georeport.token_lookup(token)], "service_requests"


@csrf_exempt
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    fmt = "xml" if rest.endswith(".xml") else "json"
    return render_errors([_("No such Open311 resource. Paths end in .json or .xml.")], fmt, 404)
