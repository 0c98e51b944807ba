"""An officer's own API keys: list, create (the raw key is shown once), revoke.

Mounted at /akun/kunci-api/ (namespace ``apikeys``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kamtibmas.accounts import audit
from kamtibmas.accounts.models import ApiKey

MAX_ACTIVE_KEYS = 10


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=80,
        help_text=gettext_lazy("What the key is for, e.g. “SPKT tablet”."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"), choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ
    )


def _officer(request: HttpRequest) -> Any:
    user = request.user
    if not getattr(user, "is_officer", False):
        raise PermissionDenied
    return user


def _active(user: Any) -> Any:
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True)


def _page(
    request: HttpRequest, form: ApiKeyForm, raw_key: str = "", status: int = 200
) -> HttpResponse:
    user: Any = request.user
    keys = ApiKey.objects.filter(user=user).order_by("revoked_at", "-created_at")
    response = render(
        request,
        "accounts/apikeys.html",
        {"form": form, "keys": keys, "raw_key": raw_key},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return response


def _create(request: HttpRequest, user: Any) -> HttpResponse:
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    if _active(user).count() >= MAX_ACTIVE_KEYS:
        form.add_error(None, _("You have %d active keys; revoke one first.") % MAX_ACTIVE_KEYS)
        return _page(request, form, status=400)
    key, raw = ApiKey.issue(user, form.cleaned_data["name"].strip(), form.cleaned_data["scope"])
    audit.record(user, "create_api_key", key, scope=key.scope)
    return _page(request, ApiKeyForm(), raw_key=raw)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def key_list(request: HttpRequest) -> HttpResponse:
    user = _officer(request)
    if request.method == "POST":
        return _create(request, user)
    return _page(request, ApiKeyForm())


@login_required
@require_POST
def key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _officer(request)
    key = get_object_or_404(ApiKey, pk=pk, user=user)
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        audit.record(user, "revoke_api_key", key)
        messages.success(request, _("The key “%s” is revoked.") % key.name)
    return redirect("apikeys:list")
