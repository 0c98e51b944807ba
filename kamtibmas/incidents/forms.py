"""Forms of the incident pages. They validate and convert input; the rules live in
services.py (changes, audit) and scoping.py (who may do what)."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kamtibmas.forms_common import FilterNoticesMixin, check_time_window
from kamtibmas.geo.models import Kelurahan
from kamtibmas.incidents import filters, services
from kamtibmas.incidents.models import BALIKPAPAN, CategoryMapping, Incident
from kamtibmas.reports.reference import OFFENCES
from kamtibmas.reports.staff_forms import DATETIME_FORMAT, DateTimeLocalInput, active_units

INPUT_FORMATS = [DATETIME_FORMAT, "%Y-%m-%d %H:%M"]
OTHER_OFFENCE = "other"  # what category mappings give an offence outside the glossary


def offence_choices() -> list[tuple[str, str]]:
    """The glossary's offence codes with their Indonesian (or English) names."""
    english = (get_language() or "id").startswith("en")
    choices = [(code, name_en if english else name_id) for code, name_id, name_en, _u in OFFENCES]
    return [*choices, (OTHER_OFFENCE, gettext("Other offence"))]


def offence_label(code: str) -> str:
    return dict(offence_choices()).get(code, code)


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


def dataset_choices() -> list[tuple[str, str]]:
    names = set(Incident.objects.order_by().values_list("dataset", flat=True).distinct())
    names.add(BALIKPAPAN)
    return [(name, name) for name in sorted(names)]


# ---- list filters --------------------------------------------------------------------------


class IncidentFilterForm(FilterNoticesMixin, forms.Form):
    """GET filters of the list. Invalid values are dropped, each with a notice."""

    q = forms.CharField(
        label=_("Search (LP number, external id, modus)"), max_length=100, required=False
    )
    dataset = forms.ChoiceField(label=_("Dataset"), required=False)
    category = forms.ChoiceField(label=_("Offence category"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=_blank(_("All statuses")) + list(Incident.Status.choices),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), required=False, queryset=active_units(), empty_label=_("All units")
    )
    kelurahan = forms.ModelChoiceField(
        label=_("Kelurahan"),
        required=False,
        queryset=Kelurahan.objects.all(),
        to_field_name="code",
        empty_label=_("All kelurahan"),
    )
    date_from = forms.DateField(
        label=_("Occurred from (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("Occurred until (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    location = forms.ChoiceField(
        label=_("Location"),
        required=False,
        choices=[
            ("", _("With or without")),
            ("with", _("With a map position")),
            ("without", _("No location")),
        ],
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("recorded", _("Recently recorded")),
            ("category", _("By category")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = _blank(_("All datasets")) + dataset_choices()  # type: ignore[attr-defined]
        self.fields["category"].choices = _blank(_("All categories")) + offence_choices()  # type: ignore[attr-defined]
        self.fields["unit"].queryset = active_units()  # type: ignore[attr-defined]

    def filters(self) -> filters.IncidentFilters:
        self.is_valid()
        data = self.cleaned_data
        kelurahan = data.get("kelurahan")
        return filters.IncidentFilters(
            dataset=data.get("dataset") or "",
            category=data.get("category") or "",
            status=data.get("status") or "",
            unit=data.get("unit"),
            kelurahan_code=kelurahan.code if kelurahan else "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            location=data.get("location") or "",
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or "newest",
        )


# ---- create and edit -----------------------------------------------------------------------


def _minute(value: Any) -> Any:
    if value is None:
        return None
    return timezone.localtime(value).replace(second=0, microsecond=0)


class IncidentForm(forms.Form):
    """Create or edit an incident. ``values()`` gives the fields for services.create_incident,
    ``changes()`` only those the officer changed (for services.update_incident)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
    dataset = forms.SlugField(label=_("Dataset"), max_length=40, initial=BALIKPAPAN)
    lp_number = forms.CharField(label=_("LP number"), max_length=60, required=False)
    category = forms.ChoiceField(label=_("Offence category"))
    status = forms.ChoiceField(
        label=_("Status"), choices=Incident.Status.choices, initial=Incident.Status.OPEN
    )
    occurred_from = forms.DateTimeField(
        label=_("Occurred from (WITA)"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=INPUT_FORMATS,
    )
    occurred_to = forms.DateTimeField(
        label=_("Occurred until (WITA)"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=INPUT_FORMATS,
    )
    reported_at = forms.DateTimeField(
        label=_("Reported at (WITA)"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=INPUT_FORMATS,
    )
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    location_accuracy_m = forms.FloatField(
        label=_("Location accuracy (m)"), required=False, min_value=0, max_value=100_000
    )
    premises_type = forms.CharField(label=_("Premises type"), max_length=80, required=False)
    modus_operandi = forms.CharField(
        label=_("Modus operandi"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    victims_count = forms.IntegerField(label=_("Victims"), required=False, min_value=0)
    suspects_count = forms.IntegerField(label=_("Suspects"), required=False, min_value=0)
    value_lost = forms.DecimalField(
        label=_("Value lost (Rp)"), required=False, min_value=0, max_digits=16, decimal_places=0
    )
    description = forms.CharField(
        label=_("Description (no personal names)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    FIELDS = (
        "dataset", "lp_number", "category", "status", "occurred_from", "occurred_to",
        "reported_at", "lat", "lon", "location_accuracy_m", "premises_type", "modus_operandi",
        "victims_count", "suspects_count", "value_lost", "description",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        incident: Incident | None = None,
        unit_ids: set[int] | None = None,
        fallback_unit: Any = None,
        **kwargs: Any,
    ) -> None:
        if incident is not None:
            kwargs.setdefault("initial", self.initial_for(incident))
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.unit_ids = unit_ids  # None: any unit; else the user's units
        self.fallback_unit = fallback_unit
        self.place: services.Place | None = None
        choices = offence_choices()
        current = incident.category if incident is not None else ""
        if current and current not in dict(choices):
            choices.append((current, current))
        self.fields["category"].choices = _blank("—") + choices  # type: ignore[attr-defined]
        if unit_ids is not None:
            # A Polsek officer records Balikpapan incidents only.
            self.fields["dataset"].disabled = True
            self.fields["dataset"].widget = forms.HiddenInput()

    @classmethod
    def initial_for(cls, incident: Incident) -> dict[str, Any]:
        initial = {name: getattr(incident, name) for name in cls.FIELDS}
        for name in ("occurred_from", "occurred_to", "reported_at"):
            initial[name] = _minute(getattr(incident, name))
        initial["version"] = incident.version
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_times(data)
        self._check_point(data)
        return data

    def _check_times(self, data: dict[str, Any]) -> None:
        check_time_window(self, data)

    def _point_changed(self) -> bool:
        return self.incident is None or bool({"lat", "lon", "dataset"} & set(self.changed_data))

    def _check_point(self, data: dict[str, Any]) -> None:
        if not self._point_changed():
            return  # an existing record keeps its place
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            self.add_error("lat", gettext("Give both latitude and longitude, or neither."))
            return
        dataset = data.get("dataset") or BALIKPAPAN
        if lat is None or dataset != BALIKPAPAN:
            return
        self.place = services.place_of(lat, lon, dataset)
        if self.place is None:
            self.add_error("lat", gettext("This place is outside the area of Polres Balikpapan."))
            return
        unit = self.place.unit
        if self.unit_ids is not None and (unit is None or unit.pk not in self.unit_ids):
            self.add_error(
                "lat", gettext("This place is in another unit's area; you cannot record it.")
            )

    def _derived(self) -> dict[str, Any]:
        """Kelurahan and unit from the point (or the officer's unit when there is none)."""
        data = self.cleaned_data
        if self.incident is not None and not self._point_changed():
            return {"kelurahan": self.incident.kelurahan, "unit": self.incident.unit}
        if self.place is not None:
            return {"kelurahan": self.place.kelurahan, "unit": self.place.unit}
        if data.get("lat") is None and (data.get("dataset") or BALIKPAPAN) == BALIKPAPAN:
            keep = self.incident.unit if self.incident is not None else self.fallback_unit
            return {"kelurahan": None, "unit": keep}
        return {"kelurahan": None, "unit": None}

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.FIELDS:
            value = self.cleaned_data.get(name)
            out[name] = value.strip() if isinstance(value, str) else value
        if not out["dataset"]:
            out["dataset"] = BALIKPAPAN
        out.update(self._derived())
        return out

    def changes(self) -> dict[str, Any]:
        """Changed fields (plus derived kelurahan/unit when the point changed)."""
        assert self.incident is not None
        values = self.values()
        names = set(self.changed_data) & set(self.FIELDS)
        if self._point_changed():
            names |= {"kelurahan", "unit"}
        return {k: values[k] for k in names if getattr(self.incident, k) != values[k]}


# ---- import --------------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel",
             "text/comma-separated-values", "application/octet-stream", ""}  # fmt: skip


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), allow_empty_file=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".txt", ".tsv")):
            raise forms.ValidationError(gettext("Only CSV files (.csv) can be imported."))
        if (upload.content_type or "") not in CSV_TYPES:
            raise forms.ValidationError(gettext("Only CSV files (.csv) can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext("The file is too large (at most %(mb)d MB).")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        head = next(upload.chunks(4096), b"")
        if b"\x00" in head:
            raise forms.ValidationError(
                gettext("This file is not a text (CSV) file. Save it as CSV and try again.")
            )
        upload.seek(0)
        return upload


def _valid_time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise forms.ValidationError(gettext("Unknown time zone.")) from None
    return value


def scheme_choices() -> list[tuple[str, str]]:
    """Schemes with mappings in the database, plus the built-in tables if the importer has
    them."""
    schemes = set(CategoryMapping.objects.values_list("scheme", flat=True).distinct())
    try:
        from kamtibmas.incidents.mapping import builtin_schemes
    except ImportError:
        pass
    else:
        schemes.update(builtin_schemes())
    return [("", gettext("Glossary codes (no mapping)"))] + [(s, s) for s in sorted(schemes)]


class MappingForm(forms.Form):
    """Import options: dataset, CRS, time zone, category scheme, dry run, and the source
    column of each canonical field (the ``col_<field>`` selects are added per file)."""

    dataset = forms.SlugField(label=_("Dataset"), max_length=40)
    crs = forms.RegexField(
        label=_("Coordinate system (EPSG code)"),
        regex=r"^EPSG:\d{4,6}$",
        max_length=12,
        error_messages={"invalid": _("Write the CRS as EPSG:number, e.g. EPSG:4326.")},
    )
    time_zone = forms.CharField(label=_("Time zone of the source"), max_length=64)
    date_format = forms.CharField(
        label=_("Date layout (optional, e.g. %d/%m/%Y %H:%M)"), max_length=64, required=False
    )
    category_scheme = forms.ChoiceField(label=_("Category scheme"), required=False)
    id_prefix = forms.CharField(
        label=_("Prefix for external ids (optional)"), max_length=20, required=False
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check every row, save nothing"), required=False, initial=True
    )

    def __init__(self, *args: Any, header: list[str], canonical: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.canonical = canonical
        self.fields["category_scheme"].choices = scheme_choices()  # type: ignore[attr-defined]
        scheme = str(self.initial.get("category_scheme") or "")
        if scheme and scheme not in dict(scheme_choices()):
            self.fields["category_scheme"].choices.append((scheme, scheme))  # type: ignore[attr-defined]
        columns = _blank(_("(not in this file)")) + [(h, h) for h in header]
        for name in canonical:
            self.fields[f"col_{name}"] = forms.ChoiceField(
                label=name, required=False, choices=columns
            )

    def clean_time_zone(self) -> str:
        return _valid_time_zone(self.cleaned_data["time_zone"].strip())

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{name}"] for name in self.canonical]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.base_fields]

    def columns(self) -> dict[str, str]:
        """canonical -> source column, only the mapped ones."""
        return {
            name: self.cleaned_data[f"col_{name}"]
            for name in self.canonical
            if self.cleaned_data.get(f"col_{name}")
        }


SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str) -> str:
    """A file name without directories or odd characters, ending in .csv."""
    base = SAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip("._") or "data"
    return base[:100] if base.lower().endswith(".csv") else base[:96] + ".csv"
