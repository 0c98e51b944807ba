"""Forms of the staff pages. They validate and convert input; the rules live in workflow.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kamtibmas.accounts import roles
from kamtibmas.forms_common import FilterNoticesMixin, check_time_window
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.reports import codes, queries
from kamtibmas.reports.models import Category, Kind, Report, Status

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def active_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("kind", "name")


def officers() -> QuerySet[Any]:
    user_model = get_user_model()
    return (
        user_model.objects.filter(
            is_active=True, unit__isnull=False, groups__name__in=roles.STAFF_ROLES
        )
        .select_related("unit")
        .distinct()
        .order_by("unit__name", "username")
    )


class UnitChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=active_units(), required=False, **kwargs)


class OfficerChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=officers(), required=False, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name() or obj.username
        return f"{name} · {obj.unit}"


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class InboxFilterForm(FilterNoticesMixin, forms.Form):
    """GET filters of the inbox. Invalid values are dropped, each with a notice."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(_("All statuses")) + list(Status.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("All kinds")) + list(Kind.choices)
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.filter(is_active=True),
        empty_label=_("All categories"),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), required=False, queryset=Unit.objects.none(), empty_label=_("All units")
    )
    kelurahan = forms.ModelChoiceField(
        label=_("Kelurahan"),
        required=False,
        queryset=Kelurahan.objects.all(),
        to_field_name="code",
        empty_label=_("All kelurahan"),
    )
    age = forms.IntegerField(
        label=_("Received in the last (days)"), required=False, min_value=1, max_value=3650
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Due soonest")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = active_units()  # type: ignore[attr-defined]

    def filters(self) -> queries.InboxFilters:
        self.is_valid()
        data = self.cleaned_data
        category = data.get("category")
        kelurahan = data.get("kelurahan")
        return queries.InboxFilters(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            category_id=category.pk if category else None,
            unit=data.get("unit"),
            kelurahan_code=kelurahan.code if kelurahan else "",
            age_days=data.get("age"),
            overdue=bool(data.get("overdue")),
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or "newest",
        )


class PrefixedIdsForm(forms.Form):
    """Several forms share the detail page: each gets its own HTML ids (field names stay)."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class VersionedForm(PrefixedIdsForm):
    """Carries the report's version so a stale page cannot overwrite a newer change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason / note to the reporter"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    referred_to = forms.CharField(label=_("Agency"), max_length=200, required=False)
    duplicate_of = forms.CharField(
        label=_("Tracking code of the original report"), max_length=20, required=False
    )
    unit = UnitChoiceField(label=_("Unit"))
    assignee = OfficerChoiceField(label=_("Officer (optional)"))

    def __init__(self, *args: Any, visible: QuerySet[Report] | None = None, **kwargs: Any) -> None:
        data = args[0] if args else kwargs.get("data")
        target = (data or kwargs.get("initial") or {}).get("to") or "x"
        kwargs.setdefault("auto_id", f"id_to_{str(target)[:20]}_%s")
        super().__init__(*args, **kwargs)
        self.visible = visible if visible is not None else Report.objects.none()

    def clean_duplicate_of(self) -> Report | None:
        raw = self.cleaned_data.get("duplicate_of") or ""
        if not raw.strip():
            return None
        original = self.visible.filter(tracking_code=codes.normalize(raw)).first()
        if original is None:
            raise forms.ValidationError(
                gettext("No report with this tracking code is in your inbox.")
            )
        return original

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, assignee = data.get("unit"), data.get("assignee")
        if assignee is not None and unit is not None and assignee.unit_id != unit.pk:
            self.add_error("assignee", gettext("This officer is not a member of that unit."))
        return data

    def extra(self) -> dict[str, Any]:
        """Keyword arguments for workflow.transition."""
        data = self.cleaned_data
        return {
            "duplicate_of": data.get("duplicate_of"),
            "referred_to": data.get("referred_to", ""),
            "unit": data.get("unit"),
            "assignee": data.get("assignee"),
        }


class MergeForm(VersionedForm):
    id_prefix = "merge"
    original = forms.CharField(max_length=20, widget=forms.HiddenInput)


class NoteForm(VersionedForm):
    id_prefix = "note"
    VISIBILITY = [
        ("public", _("Progress note to the reporter (SP2HP, public)")),
        ("internal", _("Internal note (never public)")),
    ]

    text = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=VISIBILITY, initial="internal", widget=forms.RadioSelect
    )

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") == "public"


class RevealForm(PrefixedIdsForm):
    id_prefix = "reveal"
    purpose = forms.CharField(
        label=_("Purpose of reading the reporter's identity"), min_length=5, max_length=200
    )


def _minute(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return timezone.localtime(value).replace(second=0, microsecond=0)


class EditForm(VersionedForm):
    """Editable fields of a report; ``changes()`` gives only what the officer changed."""

    id_prefix = "edit"

    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none())
    kelurahan = forms.ModelChoiceField(
        label=_("Kelurahan"), required=False, queryset=Kelurahan.objects.all()
    )
    address_text = forms.CharField(label=_("Address or landmark"), max_length=300, required=False)
    rw = forms.RegexField(label="RW", regex=r"^\d{1,3}$", required=False, max_length=3)
    rt = forms.RegexField(label="RT", regex=r"^\d{1,3}$", required=False, max_length=3)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    occurred_from = forms.DateTimeField(
        label=_("Occurred at / from"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
    )
    occurred_to = forms.DateTimeField(
        label=_("Occurred until"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
    )
    assigned_unit = UnitChoiceField(label=_("Responsible unit"))
    assignee = OfficerChoiceField(label=_("Officer in charge"))

    FIELDS = (
        "category",
        "kelurahan",
        "address_text",
        "rw",
        "rt",
        "lat",
        "lon",
        "occurred_from",
        "occurred_to",
        "assigned_unit",
        "assignee",
    )

    def __init__(self, *args: Any, report: Report, **kwargs: Any) -> None:
        kwargs.setdefault("initial", self.initial_for(report))
        super().__init__(*args, **kwargs)
        self.report = report
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            kind=report.kind, is_active=True
        )

    @classmethod
    def initial_for(cls, report: Report) -> dict[str, Any]:
        initial = {name: getattr(report, name) for name in cls.FIELDS}
        initial["occurred_from"] = _minute(report.occurred_from)
        initial["occurred_to"] = _minute(report.occurred_to)
        initial["version"] = report.version
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_times(data)
        self._check_point(data)
        return data

    def _check_times(self, data: dict[str, Any]) -> None:
        check_time_window(self, data)

    def _check_point(self, data: dict[str, Any]) -> None:
        if not {"lat", "lon"} & set(self.changed_data):
            return
        lat, lon = data.get("lat"), data.get("lon")
        if lat is None and lon is None:
            return
        if lat is None or lon is None:
            self.add_error("lat", gettext("Give both latitude and longitude, or neither."))
            return
        area = lookup.find_area(lat, lon)
        if area is None:
            self.add_error("lat", gettext("This place is outside the area of Polres Balikpapan."))
        elif "kelurahan" not in self.changed_data:
            data["kelurahan"] = Kelurahan.objects.get(pk=area.kelurahan_id)
            self.changed_data.append("kelurahan")

    def changes(self) -> dict[str, Any]:
        """Changed fields for workflow.update_fields (string fields trimmed)."""
        out: dict[str, Any] = {}
        for name in self.changed_data:
            if name in self.FIELDS:
                value = self.cleaned_data.get(name)
                out[name] = value.strip() if isinstance(value, str) else value
        return out
