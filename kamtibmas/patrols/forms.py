"""Forms of the patrol planning pages (validation gives messages, never a 500)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.forecasts.groups import CRIME_GROUPS, DEFAULT_GROUP, GROUP_LABELS
from kamtibmas.forecasts.shifts import Shift, configured_shifts, next_shifts, shift_at, shift_by_key
from kamtibmas.patrols.models import MAX_DOSAGE_MINUTES, MIN_DOSAGE_MINUTES


def tonight(now: datetime | None = None) -> Shift:
    """The night shift to plan now: the running one in the small hours, else today's last
    shift of the day (``malam`` with the default shifts)."""
    now = now or timezone.now()
    last = max(configured_shifts(), key=lambda s: s.start_hour)
    running = shift_at(now)
    if running.name == last.name:
        return running
    return next(s for s in next_shifts(now, len(configured_shifts()) + 1) if s.name == last.name)


def shift_choices(now: datetime | None = None) -> list[Shift]:
    """The running shift and the next few, for the overview's shift picker."""
    now = now or timezone.now()
    return [shift_at(now), *next_shifts(now, 4)]


def resolve_shift(text: str | None, now: datetime | None = None) -> Shift | None:
    """``tonight``, ``now`` or ``YYYY-MM-DD/name``; None when the text names no shift."""
    value = (text or "tonight").strip()
    if value == "tonight":
        return tonight(now)
    if value == "now":
        return shift_at(now or timezone.now())
    return shift_by_key(value)


def group_choices() -> list[tuple[str, Any]]:
    return [(code, GROUP_LABELS.get(code, code)) for code in CRIME_GROUPS]


class DraftForm(forms.Form):
    unit = forms.CharField(max_length=60)
    shift = forms.CharField(max_length=40)
    group = forms.ChoiceField(choices=group_choices, initial=DEFAULT_GROUP)
    teams = forms.IntegerField(min_value=1, max_value=10, required=False)
    dosage = forms.IntegerField(
        min_value=MIN_DOSAGE_MINUTES, max_value=MAX_DOSAGE_MINUTES, required=False
    )
    rebuild = forms.BooleanField(required=False)

    def clean_shift(self) -> Shift:
        shift = resolve_shift(self.cleaned_data["shift"])
        if shift is None:
            raise forms.ValidationError(
                _("Unknown shift: write it as YYYY-MM-DD/name, e.g. 2026-12-01/malam.")
            )
        return shift
