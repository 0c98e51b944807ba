"""Public web forms: the report form (turned into an ``intake.Draft``) and the tracking form.

The form only converts what a browser sends (text, hidden map inputs, WITA times) into Python
values; every rule about what makes a report acceptable lives in ``intake.validate``.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kamtibmas.geo.models import Kelurahan
from kamtibmas.reports import codes, intake
from kamtibmas.reports.models import Category, Kind

WITA = ZoneInfo("Asia/Makassar")
# datetime-local sends the first; the rest are what people type where it is not supported.
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H.%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H.%M",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H.%M",
)
QUESTION_PREFIX = "q__"
# Form field names whose messages are shown at another place of the page.
ERROR_PLACE = {
    "lat": "location",
    "lon": "location",
    "location_accuracy_m": "location",
    "__all__": "form",
}
ERROR_ANCHOR = {
    "kind": "f-kind",
    "category": "f-category",
    "description": "f-description",
    "occurred_from": "f-when",
    "occurred_to": "f-when",
    "location": "f-where",
    "address_text": "f-where",
    "kelurahan": "f-where",
    "rt": "f-where",
    "rw": "f-where",
    "photos": "f-photos",
    "reporter_name": "f-contact",
    "reporter_phone": "f-contact",
    "reporter_email": "f-contact",
}
KIND_HELP = {
    Kind.CRIME: _("Something that happened to you or that you saw: theft, robbery, assault…"),
    Kind.COMPLAINT: _(
        "A complaint about a nuisance, a police service or the conduct of an officer."
    ),
    Kind.ASPIRATION: _("A wish or suggestion for safety in your neighbourhood."),
    Kind.TIP: _("Information for the police, e.g. about drug dealing. May be fully anonymous."),
}


def localized(question: dict[str, Any], key: str) -> str:
    """``description_id`` / ``description_en`` in the active language."""
    lang = "en" if (get_language() or "id").startswith("en") else "id"
    return str(
        question.get(f"{key}_{lang}")
        or question.get(f"{key}_id")
        or question.get(key)
        or question.get("code", "")
    )


def question_choices(question: dict[str, Any]) -> list[tuple[str, str]]:
    """Values of a list question: ``[key, name_id, name_en]`` rows or ``{key, name...}`` dicts."""
    english = (get_language() or "id").startswith("en")
    out: list[tuple[str, str]] = []
    for value in question.get("values") or []:
        if isinstance(value, dict):
            key = str(value.get("key", ""))
            name = value.get("name_en" if english else "name_id") or value.get("name") or key
        else:
            row = [str(v) for v in value]
            key = row[0]
            name = row[2] if english and len(row) > 2 else row[1] if len(row) > 1 else key
        out.append((key, str(name)))
    return out


class WitaDateTimeField(forms.DateTimeField):
    """A date and time typed in WITA (Asia/Makassar), whatever the server's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {
        "invalid": _("Enter the date and time like 2025-03-01 14:30."),
    }

    def to_python(self, value: Any) -> datetime | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=WITA)
        text = str(value).strip()
        for fmt in DATETIME_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=WITA)
            except ValueError:
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(WITA).replace(tzinfo=None)
        return value


def parse_number(raw: str) -> float | None:
    """A finite float from a hidden map input, ``None`` when empty; ValueError otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _json_value(value: Any) -> Any:
    """An answer as stored in ``Report.extra``: ISO times, whole numbers as int."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _category_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {kind: [] for kind in Kind.values}
    for category in Category.objects.filter(is_active=True):
        groups.setdefault(category.kind, []).append((category.service_code, category.label))
    choices: list[tuple[str, Any]] = [("", _("— choose a category —"))]
    choices += [(str(Kind(kind).label), rows) for kind, rows in groups.items() if rows]
    return choices


def _kelurahan_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for kel in Kelurahan.objects.select_related("kecamatan").order_by("kecamatan__name", "name"):
        groups.setdefault(kel.kecamatan.name, []).append((kel.code, kel.name))
    choices: list[tuple[str, Any]] = [("", _("— from the map, or choose —"))]
    choices += [(f"Kecamatan {name}", rows) for name, rows in groups.items()]
    return choices


def _question_field(question: dict[str, Any]) -> forms.Field:
    label = localized(question, "description")
    datatype = question.get("datatype", "string")
    if datatype == "singlevaluelist":
        choices = [("", "—"), *question_choices(question)]
        return forms.ChoiceField(label=label, required=False, choices=choices)
    if datatype == "multivaluelist":
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=question_choices(question),
            widget=forms.CheckboxSelectMultiple,
        )
    if datatype == "datetime":
        return WitaDateTimeField(label=label, required=False)
    if datatype == "number":
        return forms.FloatField(
            label=label, required=False, widget=forms.NumberInput(attrs={"step": "any"})
        )
    widget = forms.Textarea(attrs={"rows": 3}) if datatype == "text" else forms.TextInput()
    return forms.CharField(label=label, required=False, max_length=2000, widget=widget)


class ReportForm(forms.Form):
    """What the public report form sends; ``draft()`` turns it into an ``intake.Draft``."""

    kind = forms.ChoiceField(
        label=_("What do you want to report?"),
        choices=Kind.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    description = forms.CharField(
        label=_("What happened?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
        help_text=_("Who, what, how. Do not write other people's personal data unless needed."),
    )
    occurred_from = WitaDateTimeField(label=_("When (or from)"), required=False)
    occurred_to = WitaDateTimeField(
        label=_("Until"), required=False, help_text=_("Only if you do not know the exact time.")
    )
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, widget=forms.HiddenInput)
    location_accuracy_m = forms.CharField(required=False, widget=forms.HiddenInput)
    address_text = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"maxlength": 300, "autocomplete": "street-address"}),
    )
    kelurahan = forms.ChoiceField(label=_("Kelurahan"), required=False)
    # Set by the page's script when the resident picks a kelurahan, so the pin no longer
    # overwrites it; kept across a failed submission. Not stored.
    kelurahan_by_hand = forms.CharField(required=False, widget=forms.HiddenInput)
    rw = forms.CharField(
        label="RW",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
    )
    rt = forms.CharField(
        label="RT",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 3}),
    )
    reporter_name = forms.CharField(
        label=_("Name"),
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_phone = forms.CharField(
        label=_("Phone / WhatsApp"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    reporter_email = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    keep_anonymous = forms.BooleanField(label=_("Keep me anonymous"), required=False)
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = {c.service_code: c for c in Category.objects.filter(is_active=True)}
        cast(forms.ChoiceField, self.fields["category"]).choices = _category_choices()
        cast(forms.ChoiceField, self.fields["kelurahan"]).choices = _kelurahan_choices()
        self.fields["kelurahan"].widget.attrs["data-auto"] = "1"
        self.fields["idempotency_key"].initial = uuid.uuid4().hex
        for category in self.categories.values():
            for question in category.questions or []:
                name = self.question_name(category, question)
                self.fields[name] = _question_field(question)
        self.intake_errors: dict[str, list[str]] = {}

    @staticmethod
    def question_name(category: Category, question: dict[str, Any]) -> str:
        return f"{QUESTION_PREFIX}{category.kind}__{category.code}__{question.get('code', '')}"

    def question_groups(self) -> list[dict[str, Any]]:
        """Every category with extra questions: its service code, label and (field, messages)."""
        problems = self.problems() if self.is_bound else {}
        groups = []
        for code, category in self.categories.items():
            names = [self.question_name(category, q) for q in category.questions or []]
            if names:
                groups.append(
                    {
                        "code": code,
                        "label": category.label,
                        "fields": [(self[n], problems.get(n, [])) for n in names],
                    }
                )
        return groups

    def kind_options(self) -> list[tuple[str, str, str]]:
        return [(value, str(label), str(KIND_HELP[Kind(value)])) for value, label in Kind.choices]

    def clean_idempotency_key(self) -> str:
        value = self.cleaned_data.get("idempotency_key", "")
        try:
            return "web-" + uuid.UUID(value).hex
        except (ValueError, TypeError, AttributeError):
            return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("lat", "lon", "location_accuracy_m"):
            try:
                data[name] = parse_number(str(self.data.get(name, "")))
            except ValueError:
                data[name] = None
                self.add_error(name, _("The map position is not valid. Tap the map again."))
        self._clean_kind(data)
        return data

    def _clean_kind(self, data: dict[str, Any]) -> None:
        category = self.categories.get(data.get("category") or "")
        if category is None:
            return
        if not data.get("kind"):
            data["kind"] = category.kind
        elif data["kind"] != category.kind:
            self.add_error(
                "category",
                _("This category does not belong to the kind of report you chose. Choose again."),
            )

    def chosen_category(self) -> Category | None:
        return self.categories.get(self.cleaned_data.get("category") or "")

    def extra_answers(self) -> dict[str, Any]:
        """Answers to the chosen category's extra questions; required ones are checked."""
        category = self.chosen_category()
        answers: dict[str, Any] = {}
        for question in (category.questions if category else []) or []:
            name = self.question_name(category, question)  # type: ignore[arg-type]
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                if question.get("required"):
                    self.intake_errors.setdefault(name, []).append(
                        str(_("This question must be answered."))
                    )
                continue
            answers[str(question["code"])] = _json_value(value)
        return answers

    def draft(self) -> intake.Draft:
        """The submission as an intake draft (call after ``is_valid()``)."""
        data = self.cleaned_data
        category = self.chosen_category()
        return intake.Draft(
            kind=data.get("kind") or "",
            category_code=category.code if category else "",
            description=data.get("description") or "",
            occurred_from=data.get("occurred_from"),
            occurred_to=data.get("occurred_to"),
            lat=data.get("lat"),
            lon=data.get("lon"),
            location_accuracy_m=data.get("location_accuracy_m"),
            address_text=data.get("address_text") or "",
            kelurahan_code=data.get("kelurahan") or "",
            rw=(data.get("rw") or "").strip(),
            rt=(data.get("rt") or "").strip(),
            reporter_name=data.get("reporter_name") or "",
            reporter_phone=data.get("reporter_phone") or "",
            reporter_email=(data.get("reporter_email") or "").strip(),
            keep_anonymous=bool(data.get("keep_anonymous")),
            extra=self.extra_answers(),
        )

    def add_intake_errors(self, errors: dict[str, list[str]]) -> None:
        """Messages from ``intake`` for fields that have none from the form yet."""
        shown = self.problems()
        for name, messages in errors.items():
            if name not in shown:
                self.intake_errors.setdefault(name, []).extend(messages)

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor on the page, message) for the summary at the top of the form."""
        return [
            (
                ERROR_ANCHOR.get(
                    place, "f-kind" if place.startswith(QUESTION_PREFIX) else "form-errors"
                ),
                message,
            )
            for place, messages in self.problems().items()
            for message in messages
        ]

    def problems(self) -> dict[str, list[str]]:
        """Every message, keyed by the place of the page where it is shown."""
        out: dict[str, list[str]] = {}
        found: list[tuple[str, list[str]]] = [
            (name, [str(m) for m in messages]) for name, messages in self.errors.items()
        ]
        for name, messages in [*found, *self.intake_errors.items()]:
            place = ERROR_PLACE.get(name, name)
            for message in messages:
                if message not in out.setdefault(place, []):
                    out[place].append(str(message))
        return out


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "7KQM-4TX-9HC",
            }
        ),
        error_messages={"required": _("Enter the tracking code from your receipt.")},
    )

    def clean_code(self) -> str:
        code = codes.normalize(self.cleaned_data.get("code", ""))
        if not code:
            raise ValidationError(
                _(
                    "This is not a tracking code. A code has 10 letters and digits, "
                    "like 7KQM-4TX-9HC."
                ),
                code="malformed",
            )
        return code
