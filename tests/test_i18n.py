"""Bahasa Indonesia first, English second: the catalogue is complete and compiled."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kamtibmas import i18n


def test_every_message_has_an_indonesian_translation() -> None:
    assert i18n.missing("id") == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    assert not i18n.stale_mo("id"), "run `make messages`"


def test_pages_speak_indonesian_by_default_and_english_on_request(db: Any) -> None:
    client = Client()
    indonesian = client.get("/lapor/").content.decode()
    assert "Kirim laporan" in indonesian
    client.cookies["django_language"] = "en"
    assert "Send report" in client.get("/lapor/").content.decode()


def test_web_pages_ignore_an_english_browser_until_the_person_switches(db: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Kirim laporan" in client.get("/lapor/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/lapor/"})
    assert "Send report" in client.get("/lapor/").content.decode()


def test_map_coordinates_in_pages_keep_a_decimal_point_in_indonesian(
    db: Any, commander_polres: Any
) -> None:
    """Indonesian writes 1,5 for 1.5; coordinates handed to JavaScript must not be localised."""
    import re

    client = Client()
    client.force_login(commander_polres)
    page = client.get("/analisis/peta/").content.decode()
    assert re.search(r'data-centre="-?\d+\.\d+,-?\d+\.\d+"', page), "map centre localised"
    form = client.get("/lapor/").content.decode()
    assert re.search(r'data-lat="-?\d+\.\d+"', form)
