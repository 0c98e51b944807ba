"""Where a report came from, beyond its channel: the Siskamling post or the community event it
was filed from (their apps hold the link: ``PostReport.report`` and ``Aspiration.report``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from kamtibmas.reports.models import Channel, Report


@dataclass(frozen=True)
class ReportSource:
    label: str
    name: str
    url: str  # the staff page of the source, "" when the viewer has none to open


def _related(report: Report, attribute: str) -> Any:
    try:
        return getattr(report, attribute)
    except ObjectDoesNotExist:
        return None


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


def report_source(report: Report) -> ReportSource | None:
    if report.channel == Channel.SISKAMLING:
        link = _related(report, "siskamling_source")
        if link is not None:
            url = _url("siskamling:post_detail", link.post_id)
            return ReportSource(_("Siskamling post"), link.post.name, url)
    if report.channel == Channel.EVENT:
        link = _related(report, "event_source")
        if link is not None:
            url = _url("community:event_detail", link.event_id)
            return ReportSource(_("Community event"), link.event.title, url)
    return None
