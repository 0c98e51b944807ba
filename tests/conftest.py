"""Shared fixtures: reference data, personas, a report factory, and the log canary."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from django.utils import timezone, translation
from PIL import Image

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import User
from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.reports import intake
from kamtibmas.reports.models import Report

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")

# Values that must never reach a log line (personal data canaries).
CANARY_NAME = "Canarius Budiwati"
CANARY_PHONE = "+62 811 0000 4242"
CANARY_EMAIL = "canary.reporter@example.org"
CANARY_NIK = "6471999999990001"
CANARIES = (CANARY_NAME, CANARY_PHONE, CANARY_EMAIL, CANARY_NIK)

# A point in kelurahan Sepinggan Baru (Balikpapan Selatan) and in Muara Rapak (Utara).
SELATAN_KELURAHAN = "64.71.05.1008"
UTARA_KELURAHAN = "64.71.03.1004"


def shared_data(*parts: str) -> str:
    """Path under ../shared/data; skip where absent, but fail under CI=true."""
    path = os.path.abspath(os.path.join(SHARED_DATA, *parts))
    if not os.path.exists(path):
        if os.environ.get("CI") == "true":
            pytest.fail(f"shared data missing under CI: {path}")
        pytest.skip(f"shared data not found: {path}")
    return path


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from kamtibmas.geo.reference import load_reference

    with django_db_blocker.unblock():
        load_reference()


class _CanaryHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad log call must not hide the check
            text = str(record.msg)
        text += " " + (self.format(record) if record.exc_info else "")
        for canary in CANARIES:
            if canary.lower() in text.lower():
                self.leaks.append(f"{record.name}: {text[:200]}")


@pytest.fixture(autouse=True)
def no_personal_data_in_logs() -> Iterator[None]:
    handler = _CanaryHandler()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    root.setLevel(old_level)
    assert not handler.leaks, f"personal data in logs: {handler.leaks}"


@pytest.fixture(autouse=True)
def fresh_state() -> Iterator[None]:
    cache.clear()
    # Each test starts in the default language: a request in an earlier test leaves its
    # language active in the thread, which would make results depend on the order of tests.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    lookup.invalidate()


def make_user(username: str, role: str, unit_code: str | None, **extra: Any) -> User:
    unit = Unit.objects.get(code=unit_code) if unit_code else None
    user = User.objects.create_user(
        username=username,
        password="correct-horse-battery",
        unit=unit,
        email=f"{username}@example.org",
        **extra,
    )
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def officer_selatan(db: Any) -> User:
    """Desk officer of the owning Polsek (Balikpapan Selatan)."""
    return make_user("desk.selatan", roles.DESK_OFFICER, "polsek-balikpapan-selatan")


@pytest.fixture
def officer_utara(db: Any) -> User:
    """Desk officer of another Polsek (Balikpapan Utara)."""
    return make_user("desk.utara", roles.DESK_OFFICER, "polsek-balikpapan-utara")


@pytest.fixture
def resident(db: Any) -> User:
    return make_user("warga", roles.CITIZEN, None)


@pytest.fixture
def commander_polres(db: Any) -> User:
    return make_user("kapolres", roles.COMMANDER, "polres-balikpapan")


@pytest.fixture
def bhabin_selatan(db: Any) -> User:
    user = make_user("bhabin.sepinggan", roles.COMMUNITY_OFFICER, "polsek-balikpapan-selatan")
    user.kelurahan.add(Kelurahan.objects.get(code=SELATAN_KELURAHAN))
    return user


def point_in(code: str) -> tuple[float, float]:
    kel = Kelurahan.objects.get(code=code)
    return kel.lat, kel.lon


def png_bytes(size: tuple[int, int] = (40, 30), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def draft(**overrides: Any) -> intake.Draft:
    lat, lon = point_in(overrides.pop("kelurahan_at", SELATAN_KELURAHAN))
    values: dict[str, Any] = {
        "kind": "crime",
        "category_code": "curanmor",
        "description": "Sepeda motor saya hilang di depan warung.",
        "occurred_from": timezone.now() - timedelta(hours=3),
        "lat": lat,
        "lon": lon,
        "reporter_name": CANARY_NAME,
        "reporter_phone": CANARY_PHONE,
        "reporter_email": CANARY_EMAIL,
    }
    values.update(overrides)
    return intake.Draft(**values)


@pytest.fixture
def make_report(db: Any) -> Any:
    def factory(photos: list[tuple[str, Any]] | None = None, **overrides: Any) -> Report:
        return intake.submit(draft(**overrides), photos)

    return factory


class _SerialWSGIServer(WSGIServer):
    """One request at a time: the live server's threads would otherwise share the test's single
    in-memory SQLite connection, and concurrent requests (a map loading its layers) can then
    lock each other. Django sends ``Connection: close`` from a non-threaded server."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


LiveServerThread.server_class = _SerialWSGIServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Live-server tests use a transactional database that is flushed afterwards: run them last."""
    items.sort(key=lambda item: any(item.get_closest_marker(m) for m in ("browser", "live")))


@pytest.fixture
def live_reference() -> Iterator[None]:
    """A transactional test starts after an earlier one may have flushed the reference data."""
    from kamtibmas.geo.reference import load_reference

    load_reference()
    yield


# ---- real browser (Playwright driving Debian chromium) ------------------------------------

CHROMIUM = os.environ.get("KAMTIBMAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true" or os.environ.get("KAMTIBMAS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"chromium not found at {CHROMIUM}: browser tests must run here")
    pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture
def browser() -> Iterator[Any]:
    _require_browser()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def local_page(browser: Any, base_url: str, **context_options: Any) -> Any:
    """A page in a new browser context that reaches only the live server: map tiles and
    anything else from outside are aborted, so browser tests never depend on the network.
    ``context_options`` go to ``browser.new_context`` (viewport, locale, geolocation, ...)."""
    context_options.setdefault("locale", "id-ID")
    page = browser.new_context(**context_options).new_page()

    def local_only(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", local_only)
    page.set_default_timeout(15_000)
    return page
