"""The commander's page of what the patrols did: crime in patrolled places against comparable
unpatrolled places, before and after (difference in differences with an interval), shown
with its caveats, including "no detectable effect". Unit-scoped; commanders and analysts.

The main estimate matches on the plans' forecast rank (plans chose places by it), the past-year
crime level is shown beside it as a robustness line; without a forecast the past-year matching
is the estimate, and the page, the JSON (``?format=json``) and the CSV (``?format=csv``) say
which one was used."""

from __future__ import annotations

import csv
import io
import math
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.analytics import charts
from kamtibmas.forecasts.groups import GROUP_LABELS
from kamtibmas.patrols import dosage, effect_chart, effect_query, plan_access
from kamtibmas.patrols.views_dosage import review_gate
from kamtibmas_analytics import patrol_effect

VERDICT_TEXT = {
    patrol_effect.REDUCTION: "reduction",
    patrol_effect.INCREASE: "increase",
    patrol_effect.NO_EFFECT: "none",
    patrol_effect.INSUFFICIENT: "insufficient",
}


def _verdict_label(verdict: str) -> str:
    return {
        patrol_effect.REDUCTION: _("Fewer crimes in the patrolled places than expected"),
        patrol_effect.INCREASE: _("More crimes in the patrolled places than expected"),
        patrol_effect.NO_EFFECT: _("No detectable effect"),
        patrol_effect.INSUFFICIENT: _("Not enough data to say"),
    }[verdict]


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _matching_label(matching: str) -> str:
    if matching == effect_query.MATCH_FORECAST:
        return _("Matched on forecast risk: places the same forecasts rated as risky")
    return _(
        "Matched on the crime level of the past year: no forecast of these plans was found, "
        "so places are compared with places of a similar past-year count"
    )


def _robustness(fit: patrol_effect.PatrolEffect | None) -> dict[str, Any] | None:
    if fit is None:
        return None
    low, high = fit.interval_
    return {
        "fit": fit,
        "estimate": _finite(fit.estimate_),
        "low": _finite(low),
        "high": _finite(high),
        "verdict_label": _verdict_label(fit.verdict_),
    }


def _week_label(data: effect_query.EffectInput, week: patrol_effect.WeekEffect) -> str:
    start = data.after_start + week.week * effect_query.WEEK
    return timezone.localtime(start).strftime("%d/%m")


def _weekly_rows(
    data: effect_query.EffectInput, weekly: list[patrol_effect.WeekEffect]
) -> list[dict[str, Any]]:
    return [
        {"start": data.after_start + w.week * effect_query.WEEK, "after": w.week >= 0,
         "estimate": w.estimate, "low": w.low, "high": w.high}
        for w in weekly
    ]  # fmt: skip


def _weekly_svg(data: effect_query.EffectInput, weekly: list[patrol_effect.WeekEffect]) -> str:
    if not weekly:
        return ""
    labels = [_week_label(data, w) for w in weekly]
    return effect_chart.event_svg(weekly, labels, title=_("Difference per week, with interval"))


def _csv_response(result: dict[str, Any], flt: dosage.DosageFilter) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(effect_query.CSV_COLUMNS)
    writer.writerows(effect_query.csv_rows(result))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"dampak-patroli-{flt.date_from:%Y%m%d}-{flt.date_to:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _series_svg(series: list[tuple[Any, float, float]]) -> str:
    labels = [timezone.localtime(week).strftime("%d/%m") for week, _a, _b in series]
    return charts.lines_svg(
        labels,
        [
            (_("per patrolled place"), [a for _w, a, _b in series], charts.BLUE),
            (_("per comparison place"), [b for _w, _a, b in series], charts.RED),
        ],
        title=_("Crimes per place and week"),
    )


@require_GET
def effect_report(request: HttpRequest) -> HttpResponseBase:
    denied = review_gate(request)
    if denied is not None:
        return denied
    flt, notices = dosage.parse_filter(request.user, request.GET)
    data = effect_query.gather(request.user, flt)
    fit = effect_query.estimate(data)
    placebo = effect_query.estimate(data, placebo=True)
    robustness = None
    if data.matching == effect_query.MATCH_FORECAST:
        robustness = effect_query.estimate(data, matching=effect_query.MATCH_PAST_YEAR)
    weekly = effect_query.weekly_effect(data)
    if request.GET.get("format") in ("json", "csv"):
        result = effect_query.summary(data, fit, placebo, robustness, weekly)
        if request.GET["format"] == "csv":
            return _csv_response(result, flt)
        return JsonResponse({**result, "notices": [str(n) for n in notices]})
    for notice in notices:
        messages.warning(request, notice)
    low, high = fit.interval_
    series = data.series()
    context: dict[str, Any] = {
        "flt": flt,
        "group": data.group,
        "group_labels": GROUP_LABELS,
        "units": plan_access.visible_units(request.user),
        "data": data,
        "fit": fit,
        "estimate": _finite(fit.estimate_),
        "low": _finite(low),
        "high": _finite(high),
        "relative_pct": _finite(fit.relative_ * 100),
        "verdict": VERDICT_TEXT[fit.verdict_],
        "verdict_label": _verdict_label(fit.verdict_),
        "patrolled_totals": data.totals(True),
        "comparison_totals": data.totals(False),
        "bands": fit.bands_,
        "matching": data.matching,
        "matching_label": _matching_label(data.matching),
        "robustness": _robustness(robustness),
        "placebo_flag": placebo.verdict_ in (patrol_effect.REDUCTION, patrol_effect.INCREASE),
        "placebo_checked": placebo.verdict_ != patrol_effect.INSUFFICIENT,
        "before_to": flt.date_from - timedelta(days=1),
        "series": series,
        "series_svg": _series_svg(series),
        "weekly": _weekly_rows(data, weekly),
        "weekly_svg": _weekly_svg(data, weekly),
        "query": request.GET.urlencode(),
    }
    return render(request, "patrols/effect.html", context)
