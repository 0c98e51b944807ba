"""Forms of public alerts (staff) and area subscriptions (residents, no account)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal.alerts import CERTAINTY_LABELS, SEVERITY_LABELS, URGENCY_LABELS
from kamtibmas.portal.models import PublicAlert, Subscription
from kamtibmas.portal.subscriptions import normalise_recipient
from kamtibmas.reports.models import Category, Kind

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class KelurahanChoice(forms.ModelMultipleChoiceField):
    """Kelurahan by official code (stable in links), labelled with their kecamatan."""

    def __init__(self, **kwargs: Any) -> None:
        queryset = Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__name", "name")
        super().__init__(
            queryset=queryset, to_field_name="code", widget=forms.CheckboxSelectMultiple, **kwargs
        )

    def label_from_instance(self, obj: Kelurahan) -> str:
        return obj.name


def kelurahan_groups(bound: forms.BoundField) -> list[dict[str, Any]]:
    """The checkboxes of a KelurahanChoice grouped by kecamatan (34 in a row are too many)."""
    groups: dict[str, list[Any]] = {}
    for box in bound.subwidgets:
        kecamatan = box.data["value"].instance.kecamatan.name
        groups.setdefault(kecamatan, []).append(box)
    return [{"kecamatan": name, "boxes": boxes} for name, boxes in groups.items()]


def offence_choices() -> list[tuple[str, Any]]:
    rows = Category.objects.filter(kind=Kind.CRIME, is_offence=True).order_by("order", "code")
    return [("", _("(none)")), *((c.code, c.label) for c in rows)]


def local_datetime_field(label: Any, required: bool, help_text: Any = "") -> forms.DateTimeField:
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)
    return forms.DateTimeField(label=label, required=required, widget=widget, help_text=help_text)


class AlertForm(forms.ModelForm):
    """A draft alert. Times are WITA; an empty start means 'from publication'."""

    offence_category = forms.ChoiceField(label=_("offence category"), required=False)
    kelurahan = KelurahanChoice(label=_("area (kelurahan)"))
    effective_at = local_datetime_field(
        _("effective from"), False, _("WITA. Empty: from the moment it is published.")
    )
    expires_at = local_datetime_field(_("expires at"), True, _("WITA. Required."))

    class Meta:
        model = PublicAlert
        fields = [
            "headline_id",
            "description_id",
            "instruction_id",
            "headline_en",
            "description_en",
            "instruction_en",
            "offence_category",
            "severity",
            "urgency",
            "certainty",
            "kelurahan",
            "effective_at",
            "expires_at",
        ]
        widgets = {
            "description_id": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "instruction_id": forms.Textarea(attrs={"rows": 3}),
            "instruction_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["offence_category"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = offence_choices()
        levels = (
            ("severity", _("severity"), SEVERITY_LABELS),
            ("urgency", _("urgency"), URGENCY_LABELS),
            ("certainty", _("certainty"), CERTAINTY_LABELS),
        )
        for name, label, choices in levels:
            level = self.fields[name]
            assert isinstance(level, forms.ChoiceField)
            level.label, level.choices = label, list(choices.items())
        self.fields["severity"].help_text = _(
            "Extreme: extraordinary threat to life or property; severe: significant threat; "
            "moderate: possible threat; minor: little or no threat."
        )
        self.fields["urgency"].help_text = _(
            "Immediate: act now; expected: act within the next hour; future: act soon."
        )
        self.fields["certainty"].help_text = _(
            "Observed: it is happening; likely: more likely than not; possible: could happen."
        )
        self.kelurahan_groups = kelurahan_groups(self["kelurahan"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("effective_at"), data.get("expires_at")
        if end is not None and end <= timezone.now():
            self.add_error("expires_at", _("The expiry must be in the future."))
        elif start is not None and end is not None and end <= start:
            self.add_error("expires_at", _("The expiry must be after the start."))
        if bool(data.get("headline_en")) != bool(data.get("description_en")):
            raise ValidationError(
                _("For an English version, write both the English headline and description.")
            )
        return data


class SubscribeForm(forms.Form):
    kelurahan = KelurahanChoice(label=_("Kelurahan"))
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=Subscription.Channel.choices,
        initial=Subscription.Channel.EMAIL,
        widget=forms.RadioSelect,
    )
    recipient = forms.CharField(
        label=_("E-mail address or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
    )
    wants_alerts = forms.BooleanField(label=_("Public alerts"), required=False, initial=True)
    wants_monthly = forms.BooleanField(label=_("Monthly statistics"), required=False, initial=True)
    consent = forms.BooleanField(
        label=_(
            "I agree that Polres Balikpapan keeps this address only to send what I chose, "
            "until I unsubscribe (UU No. 27/2022 on Personal Data Protection)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kelurahan_groups = kelurahan_groups(self["kelurahan"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("wants_alerts") and not data.get("wants_monthly"):
            raise ValidationError(_("Choose alerts, monthly statistics or both."))
        channel, raw = data.get("channel"), data.get("recipient")
        if channel and raw:
            try:
                data["recipient"] = normalise_recipient(channel, raw)
            except ValidationError as exc:
                message = (
                    _("Enter a valid e-mail address.")
                    if channel == Subscription.Channel.EMAIL
                    else exc.messages[0]
                )
                self.add_error("recipient", message)
        return data
