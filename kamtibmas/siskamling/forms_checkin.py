"""The coordinator's forms (no account): the night's round and a suspicious-activity report.

Times are clock times of the night (WITA): evening hours belong to the night's date, morning
hours to the next day, so a round from 22:00 to 03:00 needs no dates. Every form carries a
hidden idempotency key drawn when the page is shown."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamtibmas.reports.models import Category, Kind
from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.checkin import WITA, Round, moment_of_night, round_times

KEY_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
TIME_FORMATS = ["%H:%M", "%H.%M", "%H:%M:%S"]
CLOCK_SKEW = timedelta(minutes=10)
MAX_ROUND = timedelta(hours=16)
MAX_PEOPLE = 500
REPORT_KINDS = (Kind.CRIME, Kind.TIP, Kind.COMPLAINT)
# intake's field names -> the fields of the report form that show their messages.
INTAKE_FIELD = {
    "kind": "category", "category": "category", "description": "description",
    "occurred_from": "occurred_at", "occurred_to": "occurred_at", "location": "address_text",
    "address_text": "address_text", "kelurahan": "address_text", "rt": "address_text",
    "rw": "address_text", "reporter_name": "reporter_name", "reporter_phone": "reporter_phone",
    "reporter_email": "reporter_email", "photos": "description",
}  # fmt: skip


def _time_widget() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _clean_key(value: str) -> str:
    if not KEY_RE.match(value or ""):
        raise forms.ValidationError(_("The form has expired: please fill it in again."))
    return value


def split_names(text: str) -> list[str]:
    """Names typed one per line or separated by commas."""
    parts = re.split(r"[\n,;]+", text or "")
    return [p.strip()[:80] for p in parts if p.strip()]


class RoundForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # Which night the round belongs to; chosen by links on the page (no script needed).
    # The view reads and normalises it (an unknown value means the default night).
    which_night = forms.CharField(widget=forms.HiddenInput, required=False)
    members = forms.MultipleChoiceField(
        label=gettext_lazy("On duty tonight: who came?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label=gettext_lazy("Others who came"),
        help_text=gettext_lazy("One name per line or separated by commas."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attendee_count = forms.IntegerField(
        label=gettext_lazy("Number who came"),
        help_text=gettext_lazy("Leave empty to count the names above."),
        required=False,
        min_value=0,
        max_value=MAX_PEOPLE,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    start = forms.TimeField(label=gettext_lazy("Round started"), input_formats=TIME_FORMATS,
                            widget=_time_widget())  # fmt: skip
    end = forms.TimeField(label=gettext_lazy("Round ended"), input_formats=TIME_FORMATS,
                          required=False, widget=_time_widget())  # fmt: skip
    all_quiet = forms.TypedChoiceField(
        label=gettext_lazy("How was the night?"),
        choices=[("1", gettext_lazy("All quiet")), ("0", gettext_lazy("Something happened"))],
        coerce=lambda v: v == "1",
        initial="1",
        widget=forms.RadioSelect,
    )
    observations = forms.CharField(
        label=gettext_lazy("What was seen"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, night: date, members: list[str], now: datetime,
                 choice: str = checkin.TONIGHT, **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.night, self.now, self.choice = night, now, choice
        self.fields["which_night"].initial = choice
        # Before noon the night still running is "tonight" to the coordinator.
        self.is_last_night = night != checkin.night_date(now)
        if self.is_last_night:
            self.fields["members"].label = gettext_lazy("On duty last night: who came?")
        field = cast(forms.MultipleChoiceField, self.fields["members"])
        field.choices = [(name, name) for name in members]
        local = now.astimezone(WITA).replace(second=0, microsecond=0)
        self.fields["key"].initial = uuid.uuid4().hex
        self.fields["start"].initial = local.time()
        self.fields["end"].initial = local.time()
        if not members:
            del self.fields["members"]

    def clean_key(self) -> str:
        return _clean_key(self.cleaned_data.get("key", ""))

    def clean_which_night(self) -> str:
        return self.choice

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not checkin.choice_allowed(self.choice, self.now):
            raise forms.ValidationError(
                _(
                    "Last night's round can be recorded until 18:00. Tell your "
                    "Bhabinkamtibmas about it, or record tonight's round."
                )
            )
        start, end = data.get("start"), data.get("end")
        if start is None:
            return data
        started, ended = round_times(self.night, start, end)
        limit = self.now + CLOCK_SKEW
        if started > limit:
            self.add_error(
                "start",
                _(
                    "The round cannot start in the future. To record last night's round, "
                    'choose "Last night\'s round" above (possible until 18:00), or tell your '
                    "Bhabinkamtibmas about it."
                ),
            )
        elif ended is not None and ended > limit:
            self.add_error("end", _("The round cannot end in the future."))
        elif ended is not None and ended - started > MAX_ROUND:
            self.add_error("end", _("A round lasts at most 16 hours."))
        data["started_at"], data["ended_at"] = started, ended
        return data

    def round(self) -> Round:
        data = self.cleaned_data
        names = [*data.get("members", []), *split_names(data.get("others", ""))]
        count = data.get("attendee_count")
        return Round(
            started_at=data["started_at"], ended_at=data["ended_at"], attendees=names,
            attendee_count=len(names) if count is None else count,
            observations=data.get("observations", "").strip(), all_quiet=data["all_quiet"],
        )  # fmt: skip


def _category_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {kind: [] for kind in REPORT_KINDS}
    for category in Category.objects.filter(is_active=True, kind__in=REPORT_KINDS):
        groups[category.kind].append((category.service_code, category.label))
    choices: list[tuple[str, Any]] = [("", _("— choose what it is —"))]
    return choices + [(str(Kind(k).label), rows) for k, rows in groups.items() if rows]


class SuspiciousForm(forms.Form):
    """A short report from the post; the place is the post unless another one is written."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    round = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    category = forms.ChoiceField(label=gettext_lazy("Kind of event"))
    description = forms.CharField(
        label=gettext_lazy("What happened?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Who, what, which vehicle, which direction."),
    )
    occurred_at = forms.TimeField(label=gettext_lazy("At what time?"), input_formats=TIME_FORMATS,
                                  required=False, widget=_time_widget())  # fmt: skip
    address_text = forms.CharField(
        label=gettext_lazy("Where, if not at the post"),
        required=False,
        max_length=300,
    )
    reporter_name = forms.CharField(label=gettext_lazy("Your name (optional)"), required=False,
                                    max_length=120)  # fmt: skip
    reporter_phone = forms.CharField(
        label=gettext_lazy("Your phone / WhatsApp (optional)"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, night: date, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.night, self.now = night, now
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()
        self.fields["key"].initial = uuid.uuid4().hex
        self.fields["occurred_at"].initial = (
            now.astimezone(WITA).time().replace(second=0, microsecond=0)
        )

    def clean_key(self) -> str:
        return _clean_key(self.cleaned_data.get("key", ""))

    def clean_occurred_at(self) -> datetime:
        clock = self.cleaned_data.get("occurred_at")
        if clock is None:
            return timezone.now()
        moment = moment_of_night(self.night, clock)
        return moment - timedelta(days=1) if moment > self.now + CLOCK_SKEW else moment

    def draft_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind, _dot, code = data["category"].partition(".")
        return {
            "kind": kind, "category_code": code, "description": data["description"],
            "occurred_from": data["occurred_at"], "address_text": data["address_text"].strip(),
            "reporter_name": data["reporter_name"].strip(),
            "reporter_phone": data["reporter_phone"].strip(),
        }  # fmt: skip

    def add_intake_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            target = INTAKE_FIELD.get(name)
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
