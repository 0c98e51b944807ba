"""Choose the responsible unit for a report from the admin-editable routing rules."""

from __future__ import annotations

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Unit
from kamtibmas.reports.models import Report, RoutingRule


def _matches(rule: RoutingRule, report: Report) -> bool:
    if rule.kind and rule.kind != report.kind:
        return False
    if rule.category_id and rule.category_id != report.category_id:
        return False
    if rule.kecamatan_id:
        return report.kelurahan is not None and report.kelurahan.kecamatan_id == rule.kecamatan_id
    return True


def _unit_of_place(report: Report) -> Unit | None:
    if report.lat is not None and report.lon is not None:
        unit_id = lookup.responsible_unit_id(report.lat, report.lon)
        if unit_id is not None:
            return Unit.objects.get(pk=unit_id)
    if report.kelurahan is not None:
        return (
            Unit.objects.filter(
                kind=Unit.Kind.POLSEK, kecamatan=report.kelurahan.kecamatan_id, is_active=True
            )
            .order_by("pk")
            .first()
        )
    return None


def _fallback() -> Unit | None:
    return Unit.objects.filter(kind=Unit.Kind.POLRES, is_active=True).order_by("pk").first()


def route(report: Report) -> tuple[Unit | None, RoutingRule | None]:
    """The unit a report goes to and the rule that chose it (None: place or fallback)."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("target_unit"):
        if _matches(rule, report):
            unit = rule.target_unit or _unit_of_place(report) or _fallback()
            return unit, rule
    return _unit_of_place(report) or _fallback(), None
