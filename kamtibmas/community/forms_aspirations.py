"""The short list form for topics heard at an event: a few rows, each one topic; blank rows are
ignored, at least one is needed. Rows keep what was typed when anything is refused."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamtibmas.community.aspirations import AspirationItem, split_topic, topic_choices
from kamtibmas.community.models import Event
from kamtibmas.forms_common import FilterNoticesMixin
from kamtibmas.geo.models import Kelurahan

ROWS = 5
BATCH_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
# Intake's error keys -> the row field that shows them.
INTAKE_FIELDS = {
    "kind": "topic",
    "category": "topic",
    "description": "description",
    "kelurahan": "kelurahan",
    "location": "kelurahan",
}


def kelurahan_choices() -> list[tuple[str, str]]:
    return [("", "---------")] + [
        (k.code, k.name) for k in Kelurahan.objects.order_by("name").only("code", "name")
    ]


class AspirationForm(forms.Form):
    topic = forms.ChoiceField(
        label=gettext_lazy("Topic"),
        help_text=gettext_lazy("The kind (aspiration, complaint or tip) and its category."),
        error_messages={"required": gettext_lazy("Choose the topic.")},
    )
    kelurahan = forms.ChoiceField(
        label=gettext_lazy("Kelurahan"),
        help_text=gettext_lazy("The kelurahan the topic is about."),
        error_messages={"required": gettext_lazy("Choose the kelurahan the topic is about.")},
    )
    description = forms.CharField(
        label=gettext_lazy("What was said"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Write down what was said.")},
    )
    raised_by = forms.CharField(
        label=gettext_lazy("Raised by (optional)"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("A name only if the person agreed. Never shown to the public."),
    )
    consent = forms.BooleanField(
        label=gettext_lazy("The person agreed to have their name recorded"), required=False
    )

    def __init__(self, *args: Any, topics: list[Any], kelurahan: list[Any], **kw: Any) -> None:
        super().__init__(*args, **kw)
        topic_field = self.fields["topic"]
        place_field = self.fields["kelurahan"]
        assert isinstance(topic_field, forms.ChoiceField)
        assert isinstance(place_field, forms.ChoiceField)
        topic_field.choices = [("", "---------"), *topics]
        place_field.choices = kelurahan

    def has_changed(self) -> bool:
        """A row counts once a topic, a text or a name is in it (the kelurahan alone is only
        the default)."""
        return any(
            str(self.data.get(self.add_prefix(name), "")).strip()
            for name in ("topic", "description", "raised_by")
        )

    def clean_description(self) -> str:
        text = str(self.cleaned_data.get("description", "")).strip()
        if len(text) < 10:
            raise forms.ValidationError(_("Write at least 10 characters of what was said."))
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if str(data.get("raised_by", "")).strip() and not data.get("consent"):
            self.add_error(
                "consent",
                _("Record a name only if the person agreed: tick the box or leave the name out."),
            )
        return data

    def item(self) -> AspirationItem:
        kind, code = split_topic(self.cleaned_data["topic"])
        return AspirationItem(
            kind=kind,
            category_code=code,
            kelurahan_code=self.cleaned_data["kelurahan"],
            description=self.cleaned_data["description"],
            raised_by=str(self.cleaned_data.get("raised_by", "")).strip(),
        )

    def add_intake_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            field = INTAKE_FIELDS.get(key)
            for message in messages:
                self.add_error(field, message)


class AspirationRows:
    """The rows of the list form and the batch key that makes a resent form harmless."""

    def __init__(self, event: Event, data: QueryDict | None = None) -> None:
        topics, places = topic_choices(), kelurahan_choices()
        initial = {"kelurahan": event.kelurahan.code if event.kelurahan else ""}
        self.forms = [
            AspirationForm(
                data,
                prefix=f"row{index}",
                initial=initial,
                empty_permitted=True,
                use_required_attribute=False,
                topics=topics,
                kelurahan=places,
            )
            for index in range(ROWS)
        ]
        sent = data.get("batch", "") if data is not None else ""
        self.batch = sent if BATCH_RE.match(str(sent)) else secrets.token_urlsafe(16)
        self.errors: list[str] = []

    def is_valid(self) -> bool:
        valid = all([form.is_valid() for form in self.forms])
        if valid and not self.filled():
            self.errors.append(_("Write down at least one topic."))
            return False
        return valid

    def filled(self) -> list[AspirationForm]:
        """Rows that hold something (rows left blank are skipped, never refused)."""
        return [form for form in self.forms if form.is_bound and form.has_changed()]

    def add_intake_errors(self, errors: dict[int, dict[str, list[str]]]) -> None:
        filled = self.filled()
        for index, problems in errors.items():
            filled[index].add_intake_errors(problems)

    def error_count(self) -> int:
        return len(self.errors) + sum(1 for form in self.forms if form.errors)


class OutcomeFilterForm(FilterNoticesMixin, forms.Form):
    """The period of the outcome report; a bad value is ignored with a notice."""

    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end of the period is before its start."))
        return data

    def period(self) -> tuple[date | None, date | None]:
        """The valid bounds (a refused one is left out, see ``notices``)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return data.get("start"), data.get("end")
