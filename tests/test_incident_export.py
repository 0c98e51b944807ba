"""Export of incidents: the canonical CSV round trip, GeoJSON, filters on the command line."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kamtibmas.incidents.export import export_rows
from kamtibmas.incidents.importer import ImportOptions, run_import
from kamtibmas.incidents.models import Incident
from kamtibmas_analytics.io import read_incidents_csv

pytestmark = pytest.mark.django_db

SOURCE = (
    "external_id,category,occurred_from,occurred_to,lat,lon\n"
    "e1,curat,2025-03-01T22:00:00+08:00,2025-03-02T06:30:00+08:00,-1.2651234567891,116.8612345\n"
    "e2,theft,2025-03-05T14:00:00Z,,,\n"
    "e3,curanmor,2025-04-02T01:00:00+08:00,,-1.24,116.87\n"
)
KEY = ("external_id", "category", "occurred_from", "occurred_to", "lat", "lon")


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    path = tmp_path / "source.csv"
    path.write_text(SOURCE, encoding="utf-8")
    run_import(path, ImportOptions())
    return path


def test_export_then_import_gives_the_same_incidents(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        assert export_rows(Incident.objects.filter(dataset="balikpapan"), "csv", fh) == 3
    batch = run_import(out, ImportOptions(dataset="copy"))
    assert batch.rows_created == 3 and batch.rows_rejected == 0
    original = set(Incident.objects.filter(dataset="balikpapan").values_list(*KEY))
    copy = set(Incident.objects.filter(dataset="copy").values_list(*KEY))
    assert original == copy
    again = run_import(out, ImportOptions(dataset="copy"))  # and it is idempotent
    assert (again.rows_created, again.rows_updated) == (0, 0)


def test_the_csv_has_the_canonical_columns_first_with_wita_offsets(imported: Path) -> None:
    stream = io.StringIO()
    export_rows(Incident.objects.all(), "csv", stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    header = stream.getvalue().splitlines()[0].split(",")
    assert header[:6] == list(KEY) and "kelurahan_code" in header and "unit" in header
    first = rows[0]
    assert first["external_id"] == "e1" and first["occurred_from"] == "2025-03-01T22:00:00+08:00"
    assert first["lat"] == "-1.2651234567891" and first["kelurahan_code"]
    assert rows[1]["lat"] == "" and rows[1]["occurred_to"] == ""


def test_the_analytics_reader_reads_an_export(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    with out.open("w", encoding="utf-8", newline="") as fh:
        export_rows(Incident.objects.all(), "csv", fh)
    arrays = read_incidents_csv(out)
    assert list(arrays.external_id) == ["e1", "e2", "e3"]
    assert arrays.t_from[0] == 1740837600.0  # 2025-03-01T14:00Z
    assert math.isnan(arrays.t_to[1]) and np.isnan(arrays.lat[1])
    assert arrays.has_location.tolist() == [True, False, True]


def test_geojson_has_points_and_null_geometry_for_no_location(imported: Path) -> None:
    stream = io.StringIO()
    export_rows(Incident.objects.all(), "geojson", stream)
    data = json.loads(stream.getvalue())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 3
    by_id = {f["properties"]["external_id"]: f for f in data["features"]}
    assert by_id["e1"]["geometry"] == {
        "type": "Point",
        "coordinates": [116.8612345, -1.2651234567891],
    }
    assert by_id["e2"]["geometry"] is None
    assert by_id["e1"]["properties"]["occurred_to"] == "2025-03-02T06:30:00+08:00"


def test_an_empty_set_is_still_valid(db: None) -> None:
    stream = io.StringIO()
    export_rows(Incident.objects.none(), "geojson", stream)
    assert json.loads(stream.getvalue())["features"] == []


def test_the_command_filters_by_date_and_category(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "march.csv"
    call_command(
        "incidents_export",
        "--dataset",
        "balikpapan",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-31",
        "--category",
        "curat,theft",
        "--out",
        str(out),
        stderr=io.StringIO(),
    )
    ids = [r["external_id"] for r in csv.DictReader(out.open(encoding="utf-8"))]
    assert ids == ["e1", "e2"]
    geo = tmp_path / "all.geojson"
    call_command(
        "incidents_export", "--dataset", "balikpapan", "--out", str(geo), stderr=io.StringIO()
    )
    assert len(json.loads(geo.read_text())["features"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "March"], "--from"),
        (["--out", "/no/such/folder/x.csv"], "Folder"),
        (["--format", "xlsx"], "invalid choice"),
    ],
)
def test_the_command_refuses_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    full = ["--dataset", "balikpapan", "--out", str(tmp_path / "x.csv"), *args]
    with pytest.raises(CommandError, match=message), translation.override("en"):
        call_command("incidents_export", *full, stderr=io.StringIO())
