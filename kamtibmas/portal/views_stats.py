"""Public crime statistics: the page (map, numbers, monthly trend) and the CSV download.

Thin on purpose: every number comes from ``public_stats`` (the privacy rules), the map loads
the same numbers from the open-data GeoJSON at /api/v1/public/crime-stats.geojson."""

from __future__ import annotations

import csv
import io
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from kamtibmas.analytics import charts
from kamtibmas.forecasts.groups import GROUP_LABELS
from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal import public_stats
from kamtibmas.portal.api import CACHE_MAX_AGE_S
from kamtibmas.portal.public_stats import StatsError, StatsQuery

# Light to dark; the first is for "<3". Fills only: the numbers are in the table too.
COLOURS = ("#fee5d9", "#fcbba1", "#fc9272", "#fb6a4a", "#de2d26", "#a50f15")
CELL_BREAKS = (3, 5, 10, 20, 40)
MONTH_CHOICES = [("3", "3"), ("6", "6"), ("12", "12"), ("24", "24"), ("36", "36")]
CSV_COLUMNS = [
    "level", "area_code", "area_name", "period_from", "period_to", "category", "count",
    "count_label", "complete",
]  # fmt: skip


def category_choices() -> list[tuple[str, Any]]:
    groups = [(code, label) for code, label in GROUP_LABELS.items()]
    singles = [(code, public_stats.category_name(code)) for code in public_stats.CATEGORY_CODES]
    return [
        (public_stats.ALL, _("All crime")),
        (_("Groups"), groups),
        (_("Categories"), singles),
    ]


class StatsFilterForm(forms.Form):
    months = forms.ChoiceField(
        label=gettext_lazy("Period (months)"), choices=MONTH_CHOICES, initial="12", required=False
    )
    category = forms.ChoiceField(label=gettext_lazy("Crime"), required=False)
    kelurahan = forms.ChoiceField(label=gettext_lazy("Kelurahan (for the trend)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = category_choices()
        cast(forms.ChoiceField, self.fields["kelurahan"]).choices = [
            ("", _("All of Balikpapan")),
            *Kelurahan.objects.order_by("name").values_list("code", "name"),
        ]

    def value(self, name: str, default: str) -> str:
        """The cleaned value, or ``default`` when missing or not valid (the page still works)."""
        if not self.is_bound or not self.is_valid() and name in self.errors:
            return default
        return str(self.cleaned_data.get(name) or default)


def _query(form: StatsFilterForm) -> StatsQuery:
    months = int(form.value("months", "12"))
    period = public_stats.make_period()
    first = public_stats.add_months(period.last, 1 - months)
    return StatsQuery(
        "kelurahan",
        public_stats.make_period(first, period.last),
        form.value("category", public_stats.ALL),
    )


def _open_data_query(query: StatsQuery, level: str) -> str:
    return urlencode(
        {
            "level": level,
            "from": query.period.label_from,
            "to": query.period.label_to,
            "category": query.category,
        }
    )


def breaks_of(counts: list[int]) -> tuple[int, ...]:
    """Class limits of the choropleth: 3, then the 20/40/60/80 % quantiles of shown counts."""
    shown = sorted(c for c in counts if c >= public_stats.MIN_SHOWN)
    if not shown:
        return CELL_BREAKS
    limits = [shown[min(len(shown) - 1, len(shown) * q // 5)] for q in (1, 2, 3, 4)]
    out = [public_stats.MIN_SHOWN]
    for value in limits:
        out.append(max(value, out[-1] + 1))
    return tuple(out)


def legend(breaks: tuple[int, ...]) -> list[tuple[str, str]]:
    rows = [(COLOURS[0], public_stats.HIDDEN_LABEL)]
    for k, low in enumerate(breaks):
        high = breaks[k + 1] - 1 if k + 1 < len(breaks) else None
        text = f"≥ {low}" if high is None else (f"{low}" if high == low else f"{low}–{high}")
        rows.append((COLOURS[k + 1], text))
    return rows


def _map_i18n() -> dict[str, str]:
    return {"cell": _("500 m cell"), "failed": _("The map data could not be loaded.")}


def _trend(query: StatsQuery, kelurahan_code: str) -> dict[str, Any]:
    points = public_stats.monthly_trend(query.period, query.category, kelurahan_code)
    labels = [p.month.strftime("%m/%y") for p in points]
    values = [float(p.total.count or 0) for p in points]
    return {
        "points": points,
        "svg": charts.line_svg(labels, values, title=_("Crimes per month")),
    }


@require_safe
def stats_page(request: HttpRequest) -> HttpResponse:
    """The map, the numbers per kelurahan and the monthly trend, with the rules explained."""
    form = StatsFilterForm(request.GET or None)
    query = _query(form)
    kelurahan_code = form.value("kelurahan", "")
    geojson = reverse("api:crime_stats_geojson")
    areas = query.areas()
    breaks = breaks_of([a.total.count or 0 for a in areas])
    context = {
        "form": form,
        "query": query,
        "areas": areas,
        "breaks": ",".join(map(str, breaks)),
        "cell_breaks": ",".join(map(str, CELL_BREAKS)),
        "colours": ",".join(COLOURS),
        "legend": legend(breaks),
        "map_i18n": _map_i18n(),
        "trend": _trend(query, kelurahan_code),
        "trend_kelurahan": Kelurahan.objects.filter(code=kelurahan_code).first(),
        "sensitive": query.category in public_stats.SENSITIVE_CATEGORIES,
        "kelurahan_url": f"{geojson}?{_open_data_query(query, 'kelurahan')}",
        "cell_url": f"{geojson}?{_open_data_query(query, 'cell')}",
        "csv_url": f"{reverse('portal:crime_stats_csv')}?{_open_data_query(query, 'kelurahan')}",
        "csv_cell_url": f"{reverse('portal:crime_stats_csv')}?{_open_data_query(query, 'cell')}",
        "delay_days": public_stats.delay_days(),
        "until": date_format(timezone.localtime(query.period.end), "j F Y, H:i") + " WITA",
        "csv_columns": CSV_COLUMNS,
    }
    return render(request, "portal/stats.html", context)


def csv_rows(query: StatsQuery) -> list[list[str]]:
    """The rows of the CSV: the same areas and protections as the GeoJSON."""
    rows = []
    for area in query.areas():
        count = area.total.count
        shown = "" if count is None or count < public_stats.MIN_SHOWN else str(count)
        rows.append(
            [area.level, area.code, area.name, query.period.label_from, query.period.label_to,
             query.category, shown, area.total.label, "true" if area.total.complete else "false"]
        )  # fmt: skip
    return rows


@require_safe
def crime_stats_csv(request: HttpRequest) -> HttpResponse:
    """Open data as CSV (columns documented on the statistics page); bad parameters -> 400."""
    try:
        query = public_stats.parse_query(request.GET)
    except StatsError as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(query))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"statistik-kejahatan-{query.level}-{query.period.label_from}-{query.period.label_to}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = f"public, max-age={CACHE_MAX_AGE_S}"
    return response
