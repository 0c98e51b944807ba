"""The Atom feed of public alerts (RFC 4287) at /alerts.atom.

Each entry links to the alert's page and, with ``type="application/cap+xml"``, to its CAP 1.2
document: the convention CAP aggregators (Google Public Alerts, WMO Alert Hub) follow to find
an authority's alerts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlparse

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kamtibmas.portal.cap import CONTENT_TYPE as CAP_TYPE
from kamtibmas.portal.cap import SENDER_NAME, absolute, cap_time, identifier
from kamtibmas.portal.models import PublicAlert

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_TYPE = "application/atom+xml; charset=utf-8"
FEED_TITLE = "Peringatan Kamtibmas Polres Balikpapan"


def _add(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text:
        element.text = text
    return element


def feed_id() -> str:
    """A tag URI (RFC 4151) that stays the same when the feed's address changes."""
    host = urlparse(settings.PUBLIC_BASE_URL).hostname or "localhost"
    return f"tag:{host},2026:kamtibmas:alerts"


def _entry(feed: ET.Element, alert: PublicAlert) -> None:
    assert alert.published_at is not None
    entry = _add(feed, "entry")
    _add(entry, "id", identifier(alert))
    _add(entry, "title", alert.headline_id)
    _add(entry, "updated", cap_time(alert.updated_at or alert.published_at))
    _add(entry, "published", cap_time(alert.published_at))
    _add(entry, "summary", alert.description_id)
    _add(entry, "category", term=alert.msg_type)
    page = absolute(reverse("portal:alert_detail", args=[alert.uid]))
    cap_url = absolute(reverse("portal:alert_cap", args=[alert.uid]))
    _add(entry, "link", rel="alternate", type="text/html", href=page)
    _add(entry, "link", rel="alternate", type=CAP_TYPE, href=cap_url)


def build(alerts: Iterable[PublicAlert], now: datetime | None = None) -> bytes:
    """The feed document; ``updated`` is the newest entry's time (or now when empty)."""
    items = list(alerts)
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "id"})
    _add(feed, "id", feed_id())
    _add(feed, "title", FEED_TITLE)
    stamps = [a.updated_at or a.published_at for a in items if a.published_at]
    newest = max((s for s in stamps if s is not None), default=now or timezone.now())
    _add(feed, "updated", cap_time(newest))
    author = _add(feed, "author")
    _add(author, "name", f"Humas {SENDER_NAME}")
    _add(author, "uri", absolute("/"))
    _add(feed, "link", rel="self", type="application/atom+xml", href=absolute("/alerts.atom"))
    _add(feed, "link", rel="alternate", type="text/html",
         href=absolute(reverse("portal:alert_list")))  # fmt: skip
    for alert in items:
        _entry(feed, alert)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
