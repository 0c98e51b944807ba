"""The commander's page of what the patrols did: crime in patrolled places against comparable
unpatrolled places, before and after (difference in differences with an interval), shown
with its caveats, including "no detectable effect". Unit-scoped; commanders and analysts."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kamtibmas.analytics import charts
from kamtibmas.forecasts.groups import GROUP_LABELS
from kamtibmas.patrols import dosage, effect_query, plan_access
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
    for notice in notices:
        messages.warning(request, notice)
    data = effect_query.gather(request.user, flt)
    fit = effect_query.estimate(data)
    placebo = effect_query.estimate(data, placebo=True)
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
        "placebo_flag": placebo.verdict_ in (patrol_effect.REDUCTION, patrol_effect.INCREASE),
        "placebo_checked": placebo.verdict_ != patrol_effect.INSUFFICIENT,
        "before_to": flt.date_from - timedelta(days=1),
        "series": series,
        "series_svg": _series_svg(series),
        "query": request.GET.urlencode(),
    }
    return render(request, "patrols/effect.html", context)
