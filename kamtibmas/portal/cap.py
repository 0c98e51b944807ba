"""CAP 1.2 (OASIS Common Alerting Protocol) documents of public alerts.

Built with xml.etree in the element order of the OASIS schema, so sirens, phone broadcast
systems and aggregators (Google Public Alerts, WMO's register) can take our alerts as they are.
The area of an alert is its kelurahan: one ``polygon`` per kelurahan boundary (CAP wants
"lat,lon" pairs, WGS84, closed ring), plus a ``geocode`` with the Kemendagri area code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import shapely
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from shapely.geometry import Polygon, shape
from shapely.geometry.polygon import orient

from kamtibmas.geo.models import Kelurahan
from kamtibmas.portal.alerts import chain
from kamtibmas.portal.models import PublicAlert
from kamtibmas.reports.models import Category, Kind

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CONTENT_TYPE = "application/cap+xml"
SENDER_NAME = "Polres Balikpapan"
CONTACT = "Call Center 110"
GEOCODE_NAME = "KEMENDAGRI"  # kode wilayah administrasi pemerintahan (Permendagri)
MAX_POLYGON_POINTS = 100
FIRST_TOLERANCE_DEG = 0.0001  # about 11 m at Balikpapan's latitude
LANGUAGES = (("id", "id-ID"), ("en", "en-US"))


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def sender() -> str:
    """A stable, domain-like sender id: ``CAP_SENDER`` or ``humas@<public host>``."""
    configured = getattr(settings, "CAP_SENDER", "")
    if configured:
        return str(configured)
    host = urlparse(settings.PUBLIC_BASE_URL).hostname or "localhost"
    return f"humas@{host}"


def identifier(alert: PublicAlert) -> str:
    return f"urn:uuid:{alert.uid}"


def cap_time(moment: datetime) -> str:
    """2026-11-29T12:00:00+08:00: WITA, no fractions (the schema's pattern forbids 'Z')."""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def reference(alert: PublicAlert) -> str:
    assert alert.published_at is not None
    return f"{sender()},{identifier(alert)},{cap_time(alert.published_at)}"


# --- geometry --------------------------------------------------------------------------------


def outer_rings(geometry: dict[str, Any] | None) -> list[Polygon]:
    """The outer boundaries of a GeoJSON (Multi)Polygon; CAP polygons have no holes."""
    if not geometry:
        return []
    geom = shapely.make_valid(shape(geometry))
    parts = getattr(geom, "geoms", [geom])
    return [Polygon(p.exterior) for p in parts if isinstance(p, Polygon) and not p.is_empty]


def simplified(polygon: Polygon, max_points: int = MAX_POLYGON_POINTS) -> Polygon:
    """Fewer points (a CAP polygon travels over SMS gateways and sirens), still valid."""
    tolerance = FIRST_TOLERANCE_DEG
    result = polygon
    while len(result.exterior.coords) > max_points:
        candidate = polygon.simplify(tolerance, preserve_topology=True)
        if candidate.is_empty or not candidate.is_valid or len(candidate.exterior.coords) < 4:
            break
        result = candidate
        tolerance *= 2
    return result


def cap_polygon(polygon: Polygon) -> str:
    """'lat,lon lat,lon ...' with the first point repeated last (at least 4 points)."""
    ring = list(orient(polygon).exterior.coords)
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return " ".join(f"{lat:.5f},{lon:.5f}" for lon, lat, *_ in ring)


def kelurahan_polygons(kelurahan: Kelurahan) -> list[str]:
    return [cap_polygon(simplified(p)) for p in outer_rings(kelurahan.geometry)]


# --- the document ----------------------------------------------------------------------------


def _add(parent: ET.Element, tag: str, text: str | None) -> ET.Element | None:
    if text in (None, ""):
        return None
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _event_name(alert: PublicAlert) -> str:
    category = (
        Category.objects.filter(kind=Kind.CRIME, code=alert.offence_category).first()
        if alert.offence_category
        else None
    )
    return category.label if category else _("Public security alert")


def _response_type(alert: PublicAlert) -> str:
    if alert.msg_type == PublicAlert.MsgType.CANCEL:
        return "AllClear"
    severe = alert.severity in (PublicAlert.Severity.SEVERE, PublicAlert.Severity.EXTREME)
    return "Prepare" if severe else "Monitor"


def _text(alert: PublicAlert, field: str, lang: str) -> str:
    """The field in ``lang``; the Indonesian text when no English one was written."""
    value = getattr(alert, f"{field}_{lang}", "")
    return str(value or getattr(alert, f"{field}_id", ""))


def _area(info: ET.Element, kelurahan: list[Kelurahan]) -> None:
    area = ET.SubElement(info, "area")
    _add(area, "areaDesc", ", ".join(k.name for k in kelurahan) + ", Balikpapan")
    for kel in kelurahan:
        for polygon in kelurahan_polygons(kel):
            _add(area, "polygon", polygon)
    for kel in kelurahan:
        geocode = ET.SubElement(area, "geocode")
        _add(geocode, "valueName", GEOCODE_NAME)
        _add(geocode, "value", kel.code)


def _info(
    root: ET.Element, alert: PublicAlert, lang: str, language: str, kelurahan: list[Kelurahan]
) -> None:
    root_info = ET.SubElement(root, "info")
    with translation.override(lang):
        _add(root_info, "language", language)
        _add(root_info, "category", "Security")
        _add(root_info, "event", _event_name(alert))
        _add(root_info, "responseType", _response_type(alert))
        _add(root_info, "urgency", alert.urgency)
        _add(root_info, "severity", alert.severity)
        _add(root_info, "certainty", alert.certainty)
        if alert.offence_category:
            code = ET.SubElement(root_info, "eventCode")
            _add(code, "valueName", "KAMTIBMAS")
            _add(code, "value", alert.offence_category)
        if alert.effective_at:
            _add(root_info, "effective", cap_time(alert.effective_at))
        if alert.expires_at:
            _add(root_info, "expires", cap_time(alert.expires_at))
        _add(root_info, "senderName", SENDER_NAME)
        _add(root_info, "headline", _text(alert, "headline", lang))
        _add(root_info, "description", _text(alert, "description", lang))
        _add(root_info, "instruction", _text(alert, "instruction", lang))
        _add(root_info, "web", absolute(reverse("portal:alert_detail", args=[alert.uid])))
        _add(root_info, "contact", CONTACT)
        _area(root_info, kelurahan)


def build(alert: PublicAlert) -> bytes:
    """The CAP 1.2 document of a published alert, as UTF-8 bytes with an XML declaration."""
    if alert.published_at is None:
        raise ValueError("only a published alert has a CAP document")
    # Children are written without prefix, so they are in the default (CAP) namespace.
    root = ET.Element("alert", xmlns=CAP_NS)
    _add(root, "identifier", identifier(alert))
    _add(root, "sender", sender())
    _add(root, "sent", cap_time(alert.published_at))
    _add(root, "status", "Actual")
    _add(root, "msgType", alert.msg_type)
    _add(root, "scope", "Public")
    earlier = chain(alert)
    if earlier and alert.msg_type != PublicAlert.MsgType.ALERT:
        _add(root, "references", " ".join(reference(e) for e in earlier))
    kelurahan = sorted(alert.kelurahan.all(), key=lambda k: k.code)
    for lang, language in LANGUAGES:
        if lang == "id" or alert.headline_en:
            _info(root, alert, lang, language, kelurahan)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
