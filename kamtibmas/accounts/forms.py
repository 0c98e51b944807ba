"""Login with a clear lockout message, and the filters of the audit log."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kamtibmas.accounts.models import LoginFailure


def minutes_until_unlocked(username: str) -> int:
    """Whole minutes until the failures that lock ``username`` out leave the window (>= 1)."""
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    now = timezone.now()
    recent = list(
        LoginFailure.objects.filter(username=username.lower(), at__gte=now - window)
        .order_by("-at")
        .values_list("at", flat=True)[: settings.LOGIN_MAX_FAILURES]
    )
    if len(recent) < settings.LOGIN_MAX_FAILURES:
        return 1
    seconds = (recent[-1] + window - now).total_seconds()
    return max(1, math.ceil(seconds / 60))


class LoginForm(AuthenticationForm):
    """Django's login form; a locked-out username gets its own message with the wait."""

    def get_invalid_login_error(self) -> ValidationError:
        if getattr(self.request, "login_locked_out", False):
            minutes = minutes_until_unlocked(self.cleaned_data.get("username") or "")
            return ValidationError(
                ngettext(
                    "Too many failed attempts. Try again in %(minutes)d minute.",
                    "Too many failed attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="locked_out",
            )
        return super().get_invalid_login_error()


class AuditFilterForm(forms.Form):
    """GET filters of the global audit log; invalid values are ignored."""

    user = forms.CharField(label=_("User name"), max_length=150, required=False)
    action = forms.CharField(label=_("Action"), max_length=40, required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def values(self) -> dict[str, Any]:
        self.is_valid()
        return {name: self.cleaned_data.get(name) for name in self.fields}


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def day_end(day: date) -> datetime:
    return day_start(day) + timedelta(days=1)
