"""Area subscriptions without an account: subscribe, confirm (double opt-in), unsubscribe.

Pages reached by a secret link never act on GET (mail scanners prefetch links): GET shows one
button, POST acts. The unsubscribe URL also takes RFC 8058 one-click POSTs from mail
providers, which carry no CSRF token: the secret in the URL is the authorisation.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from kamtibmas import throttle
from kamtibmas.portal import subscriptions
from kamtibmas.portal.forms_alerts import SubscribeForm

DEFAULT_RATE = "10/h"


def _private(response: HttpResponse) -> HttpResponse:
    """Token pages: never indexed, and the token never leaks as a referrer to another site.
    ("no-referrer" would make browsers send ``Origin: null`` and fail the CSRF check.)"""
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _throttled(request: HttpRequest) -> HttpResponse | None:
    rate = getattr(settings, "SUBSCRIBE_THROTTLE", DEFAULT_RATE)
    verdict = throttle.hit("subscribe_web", throttle.client_ip(request), rate)
    if verdict.allowed:
        return None
    minutes = max(1, math.ceil(verdict.retry_after / 60))
    response = render(request, "portal/subscribe_throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(max(1, verdict.retry_after))
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = SubscribeForm(initial={"kelurahan": request.GET.getlist("kelurahan")})
        return render(request, "portal/subscribe.html", {"form": form})
    refused = _throttled(request)
    if refused is not None:
        return refused
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/subscribe.html", {"form": form}, status=400)
    data = form.cleaned_data
    subscriptions.subscribe(
        list(data["kelurahan"]),
        data["channel"],
        data["recipient"],
        wants_alerts=data["wants_alerts"],
        wants_monthly=data["wants_monthly"],
    )
    return redirect("portal:subscribe_sent")


@require_safe
def subscribe_sent(request: HttpRequest) -> HttpResponse:
    """The same answer for every address, subscribed before or not."""
    days = subscriptions.UNCONFIRMED_DAYS
    return render(request, "portal/subscribe_sent.html", {"days": days})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_confirm(request: HttpRequest, token: str) -> HttpResponse:
    rows = subscriptions.pending_for(token)
    if not rows:
        response = render(request, "portal/subscription_invalid.html", status=404)
        return _private(response)
    done = False
    if request.method == "POST":
        rows = subscriptions.confirm(token)
        done = True
    context = {"rows": rows, "done": done}
    return _private(render(request, "portal/subscription_confirm.html", context))


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    row = subscriptions.by_token(token)
    if row is None:
        response = render(request, "portal/subscription_invalid.html", status=404)
        return _private(response)
    if request.method == "POST":
        subscriptions.unsubscribe(row)
        return _private(render(request, "portal/subscription_unsubscribed.html"))
    active = list(subscriptions.same_address(row).filter(unsubscribed_at__isnull=True))
    context = {"row": row, "active": active}
    return _private(render(request, "portal/subscription_unsubscribe.html", context))
