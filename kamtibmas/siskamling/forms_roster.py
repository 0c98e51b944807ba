"""Forms of the roster page (weekly template, week to make, a night's swap), the dashboard
filter and the door-to-door visit log."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from kamtibmas.geo.models import Kelurahan
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import DoorVisit, Post

WEEKDAYS = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
WEEKS_AHEAD = 4
MEMBERS_HELP = gettext_lazy("One name per line.")


def clean_member_text(text: str) -> list[str]:
    names = roster.parse_members(text)
    if len(names) > roster.MAX_MEMBERS:
        raise forms.ValidationError(_("At most 20 names."))
    return names


class SlotForm(forms.Form):
    """One weekday of the weekly template; no names means no watch that day."""

    start_time = forms.TimeField(
        label=gettext_lazy("from"),
        initial=time(22, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=gettext_lazy("until"),
        initial=time(4, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    members = forms.CharField(
        label=gettext_lazy("residents on duty"),
        required=False,
        help_text=MEMBERS_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 22}),
    )
    note = forms.CharField(label=gettext_lazy("note"), required=False, max_length=200)

    def __init__(self, *args: Any, weekday: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.weekday = weekday
        self.weekday_label = WEEKDAYS[weekday]

    def clean_members(self) -> list[str]:
        return clean_member_text(self.cleaned_data.get("members") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_time") is not None and data.get("start_time") == data.get("end_time"):
            self.add_error("end_time", _("The night must last some time: from and until differ."))
        return data

    def as_input(self) -> roster.SlotInput:
        data = self.cleaned_data
        return roster.SlotInput(
            self.weekday,
            data["start_time"],
            data["end_time"],
            data["members"],
            data.get("note") or "",
        )


def slot_forms(post: Post, data: Any = None) -> list[SlotForm]:
    """Seven forms (Monday to Sunday), filled from the post's template."""
    slots = {s.weekday: s for s in post.roster_slots.all()}
    result = []
    for day in range(7):
        slot = slots.get(day)
        initial = (
            {
                "start_time": slot.start_time,
                "end_time": slot.end_time,
                "members": "\n".join(slot.members),
                "note": slot.note,
            }
            if slot
            else {}
        )
        result.append(SlotForm(data, prefix=f"d{day}", weekday=day, initial=initial))
    return result


def week_choices(today: date) -> list[tuple[str, str]]:
    """This week and the next few, as ISO dates of their Mondays with readable labels."""
    choices = []
    for k in range(WEEKS_AHEAD):
        monday = roster.week_start(today) + timedelta(weeks=k)
        sunday = monday + timedelta(days=6)
        # "calendar week": in Indonesian "Pekan", since "Minggu" also means Sunday.
        label = pgettext("calendar week", "Week %(week)d (%(start)s - %(end)s)") % {
            "week": monday.isocalendar().week,
            "start": formats.date_format(monday, "j M"),
            "end": formats.date_format(sunday, "j M Y"),
        }
        choices.append((monday.isoformat(), label))
    return choices


class MakeWeekForm(forms.Form):
    week = forms.ChoiceField(label=pgettext_lazy("calendar week", "Week"))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["week"].choices = week_choices(today)  # type: ignore[attr-defined]

    def monday(self) -> date:
        return date.fromisoformat(self.cleaned_data["week"])


class NightForm(forms.Form):
    """Who is on duty on one night (a swap before the night starts)."""

    night = forms.IntegerField(widget=forms.HiddenInput)
    members = forms.CharField(
        label=gettext_lazy("residents on duty"),
        required=False,
        help_text=MEMBERS_HELP,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_members(self) -> list[str]:
        return clean_member_text(self.cleaned_data.get("members") or "")


class KelurahanFilterForm(forms.Form):
    kelurahan = forms.ModelChoiceField(
        label=gettext_lazy("Kelurahan"),
        queryset=Kelurahan.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
        to_field_name="code",
    )

    def __init__(self, *args: Any, kelurahan: QuerySet[Kelurahan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = kelurahan  # type: ignore[attr-defined]

    def selected(self) -> Kelurahan | None:
        return self.cleaned_data.get("kelurahan") if self.is_valid() else None


class VisitFilterForm(KelurahanFilterForm):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )

    def clean_month(self) -> tuple[int, int] | None:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        try:
            moment = datetime.strptime(value, "%Y-%m")
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None
        return moment.year, moment.month


class DoorVisitForm(forms.ModelForm):
    """A Bhabinkamtibmas' visit; the kelurahan are limited to the ones they look after."""

    visited_at = forms.DateTimeField(
        label=gettext_lazy("Visited at (WITA)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    class Meta:
        model = DoorVisit
        fields = [
            "kelurahan",
            "rw",
            "rt",
            "visited_at",
            "host",
            "topic",
            "notes",
            "follow_up_needed",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, kelurahan: QuerySet[Kelurahan], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].queryset = kelurahan  # type: ignore[attr-defined]
        self.fields["topic"].required = True
        if not self.is_bound and "visited_at" not in self.initial:
            self.initial["visited_at"] = timezone.localtime().replace(second=0, microsecond=0)
        if kelurahan.count() == 1:
            self.initial.setdefault("kelurahan", kelurahan.first())

    def _clean_number(self, name: str) -> str:
        value = (self.cleaned_data.get(name) or "").strip()
        if value and not value.isdigit():
            raise forms.ValidationError(_("Use digits only, e.g. 003."))
        return value.zfill(3) if value else ""

    def clean_rw(self) -> str:
        return self._clean_number("rw")

    def clean_rt(self) -> str:
        return self._clean_number("rt")

    def clean_visited_at(self) -> datetime:
        value: datetime = self.cleaned_data["visited_at"]
        if value > timezone.now() + timedelta(minutes=10):
            raise forms.ValidationError(_("A visit cannot be in the future."))
        if value < timezone.now() - timedelta(days=366):
            raise forms.ValidationError(_("A visit more than a year ago cannot be added."))
        return value
