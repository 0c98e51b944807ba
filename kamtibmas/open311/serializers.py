"""Open311 output in its two formats: JSON and XML (the XML shape every GeoReport v2 client
parses: ``<services><service>…``, ``<service_requests><request>…``, ``<errors><error>…``).

XML is only written here (xml.etree.ElementTree), never parsed from clients."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from django.http import HttpResponse

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# A list under this tag holds items with that tag.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item_tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, data)
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def render(data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """``data`` is the JSON document; in XML it goes under ``<root>``."""
    body = to_xml(root, data) if fmt == "xml" else to_json(data)
    content_type = CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"])
    return HttpResponse(body, status=status, content_type=content_type)


def render_errors(errors: list[str], fmt: str, status: int) -> HttpResponse:
    """Open311's error format: ``[{"code": <http status>, "description": "…"}]``."""
    data = [{"code": status, "description": text} for text in errors]
    return render(data, fmt, "errors", status)
