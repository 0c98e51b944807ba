"""Forms of programmes, events, registration, walk-ins, self check-in and the calendar filter.
They validate and convert input (times typed in WITA); the rules live in events.py,
registration.py and attendance.py."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kamtibmas.community import events as event_rules
from kamtibmas.community.models import Event, Programme, ProgrammeKind
from kamtibmas.community.registration import Applicant, normal_phone
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.reports.forms import WitaDateTimeField

PHONE_CHARS = re.compile(r"^[0-9+\-\s().]*$")
MAX_CAPACITY = 100_000


def kelurahan_choices() -> QuerySet[Kelurahan]:
    return Kelurahan.objects.order_by("name")


class KelurahanField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(queryset=kelurahan_choices(), **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "name", "kind", "description", "organising_unit", "target_kelurahan", "audience",
            "is_active",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "target_kelurahan": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "target_kelurahan": _("Hold Ctrl (or Cmd) to choose several."),
            "audience": _("For example: residents of RW 05, pupils of SMA 1, market traders."),
        }

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organising_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["target_kelurahan"].queryset = kelurahan_choices()  # type: ignore[attr-defined]
        if units.count() == 1 and not self.instance.pk:
            self.fields["organising_unit"].initial = units.first()


def clean_phone(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    digits = normal_phone(value)
    if not PHONE_CHARS.match(value) or not 8 <= len(digits) <= 15:
        raise forms.ValidationError(_("Enter a phone number like 0812 3456 7890."))
    return value


class EventForm(forms.ModelForm):
    starts_at = WitaDateTimeField(label=_("Starts at (WITA)"))
    ends_at = WitaDateTimeField(label=_("Ends at (WITA)"))
    lat = forms.FloatField(label=_("Latitude (optional pin)"), required=False)
    lon = forms.FloatField(label=_("Longitude (optional pin)"), required=False)
    kelurahan = KelurahanField(
        label=_("Kelurahan"), help_text=_("Found from the pin when one is given.")
    )

    class Meta:
        model = Event
        fields = [
            "title", "starts_at", "ends_at", "place_name", "lat", "lon", "kelurahan",
            "audience", "capacity", "materials", "description", "is_public",
            "registration_open",
        ]  # fmt: skip
        widgets = {
            "materials": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "capacity": _("Seats for registration; leave empty for no limit."),
            "materials": _("What will be handed out or shown (leaflets, slides, a video)."),
        }

    def clean_capacity(self) -> int | None:
        value = self.cleaned_data.get("capacity")
        if value is not None and not 0 <= value <= MAX_CAPACITY:
            raise forms.ValidationError(_("The capacity is 0 to 100000 seats."))
        if value is not None and self.instance.pk:
            taken = event_rules.seats_taken(self.instance)
            if value < taken:
                raise forms.ValidationError(
                    gettext("%(n)s people have registered already; the capacity cannot be lower.")
                    % {"n": taken}
                )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", _("The end must be after the start."))
        self._clean_place(data)
        return data

    def _clean_place(self, data: dict[str, Any]) -> None:
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            self.add_error("lat", _("Give both latitude and longitude, or neither."))
            return
        if lat is None or lon is None:
            return
        area = lookup.find_area(lat, lon)
        if area is None:
            self.add_error("lat", _("The place is outside Balikpapan."))
        else:
            data["kelurahan"] = Kelurahan.objects.get(pk=area.kelurahan_id)


class ApplicantForm(forms.Form):
    """Who someone is: name, optional phone or e-mail, optional kelurahan."""

    name = forms.CharField(
        label=_("Name"), max_length=120, error_messages={"required": _("Enter your name.")}
    )
    phone = forms.CharField(label=_("Phone / WhatsApp (optional)"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)
    kelurahan = KelurahanField(label=_("Your kelurahan (optional)"))

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data.get("name", "").split())
        if len(name) < 2:
            raise forms.ValidationError(_("Enter your name."))
        return name

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone", ""))

    def applicant(self) -> Applicant:
        data = self.cleaned_data
        return Applicant(
            name=data["name"], phone=data.get("phone", ""), email=data.get("email", ""),
            kelurahan=data.get("kelurahan"),
        )  # fmt: skip


class RegistrationForm(ApplicantForm):
    consent = forms.BooleanField(
        label=_(
            "I agree that my phone number or e-mail is used only for this event and its "
            "follow-ups (UU No. 27/2022 on Personal Data Protection)."
        ),
        required=False,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("phone") or data.get("email")) and not data.get("consent"):
            self.add_error("consent", _("Tick the consent, or leave the contact empty."))
        return data


class WalkInForm(ApplicantForm):
    """Staff add someone who came without registering."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kelurahan"].label = _("Kelurahan (optional)")


class AttendForm(forms.Form):
    """Self check-in: the registration code, or the contact registered with (and a name)."""

    code = forms.CharField(label=_("Registration code or link"), max_length=300, required=False)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone / WhatsApp"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone", ""))

    def applicant(self) -> Applicant | None:
        data = self.cleaned_data
        if not (data.get("phone") or data.get("email")):
            return None
        return Applicant(
            name=" ".join(data.get("name", "").split()), phone=data.get("phone", ""),
            email=data.get("email", ""),
        )  # fmt: skip


class CalendarFilterForm(forms.Form):
    """Public calendar filters; a bad value is ignored (the whole calendar shows)."""

    kelurahan = forms.ChoiceField(label=_("Kelurahan"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=[("", _("Coming")), ("past", _("Past"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kelurahan = [(k.code, k.name) for k in kelurahan_choices()]
        fields: Any = self.fields
        fields["kelurahan"].choices = [("", _("All kelurahan")), *kelurahan]
        fields["kind"].choices = [("", _("All kinds")), *ProgrammeKind.choices]

    def apply(self, qs: QuerySet[Event]) -> QuerySet[Event]:
        """Filter by every field that is valid; an invalid one alone is ignored."""
        self.is_valid()
        data = self.cleaned_data
        if data.get("kelurahan"):
            qs = qs.filter(kelurahan__code=data["kelurahan"])
        if data.get("kind"):
            qs = qs.filter(programme__kind=data["kind"])
        return qs

    @property
    def past(self) -> bool:
        self.is_valid()
        return self.cleaned_data.get("when") == "past"
