"""An analyst, as a new user would: imports a real city's CSV in the browser, watches it
finish, then sees the crime map layers and the dashboard's near-repeat table for it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from kamtibmas.accounts import roles
from kamtibmas.incidents.models import Incident
from tests.conftest import make_user, shared_data
from tests.test_browser import _log_in, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = 3000


def _vancouver_sample(tmp_path: Path) -> Path:
    source = Path(shared_data("crime", "vancouver", "crimedata_csv_AllNeighbourhoods_2025.csv"))
    sample = tmp_path / "vancouver-2025-sample.csv"
    with source.open(newline="", encoding="utf-8") as src, sample.open("w", newline="") as out:
        out.writelines(itertools.islice(src, ROWS + 1))
    return sample


def test_analyst_imports_a_city_and_sees_its_hot_spots(
    browser: Any,
    live_server: Any,
    live_reference: None,
    tmp_path: Path,  # noqa: F811
) -> None:
    base = live_server.url
    make_user("analis.polres", roles.ANALYST, "polres-balikpapan")
    page = _page(browser, base)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _log_in(page, base, "analis.polres")

    page.goto(f"{base}/petugas/kejadian/impor/")
    page.set_input_files("#import-upload input[type=file]", str(_vancouver_sample(tmp_path)))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-mapping")
    page.click("#import-mapping button[value=start]")  # a dry run first (the default)
    page.wait_for_selector("#import-confirm")
    assert not Incident.objects.exists()
    page.click("#import-confirm button[type=submit]")
    page.wait_for_selector("#import-progress")
    page.wait_for_function(
        "document.getElementById('import-progress').dataset.finished === '1'"
        " || document.getElementById('import-bar').value >= 1"
    )
    created = int(page.inner_text("dd[data-count=rows_created]").replace(".", ""))
    assert created + int(page.inner_text("dd[data-count=rows_rejected]")) == ROWS
    dataset = Incident.objects.values_list("dataset", flat=True).distinct().get()
    assert created == Incident.objects.filter(dataset=dataset).count() > ROWS * 0.9

    filters = f"dataset={dataset}&from=2025-01-01&to=2025-12-31"
    page.goto(f"{base}/analisis/peta/?{filters}")
    page.wait_for_selector("img.leaflet-image-layer", state="attached")  # density overlay
    page.wait_for_selector(".leaflet-marker-icon, .leaflet-interactive", state="attached")
    page.wait_for_load_state("networkidle")  # let the map's layer requests finish

    page.goto(f"{base}/analisis/?{filters}")
    page.wait_for_selector("text=0-100 m", timeout=60_000)  # the Knox table, loaded by HTMX
    assert not errors, errors
