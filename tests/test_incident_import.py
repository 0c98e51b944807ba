"""CSV import of incidents: layouts, time zones, coordinate systems, mapping, idempotency,
the validation report, dry runs, rollback, the command line, and the real data of three cities."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kelurahan
from kamtibmas.incidents import importer
from kamtibmas.incidents.arealookup import locate_many
from kamtibmas.incidents.importer import (
    ImportOptions,
    ImportOptionsError,
    preview,
    run_import,
    sniff,
)
from kamtibmas.incidents.mapping import OFFENCE_CODES, load_builtin_mappings, read_builtin
from kamtibmas.incidents.models import CategoryMapping, ImportBatch, Incident, IncidentEvent
from kamtibmas.incidents.timeparse import to_utc, zone
from tests.conftest import shared_data

pytestmark = pytest.mark.django_db

CANONICAL_HEADER = "external_id,category,occurred_from,occurred_to,lat,lon\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def canonical_rows(n: int, *, start_day: int = 1) -> str:
    lines = [CANONICAL_HEADER]
    for i in range(n):
        lat, lon = -1.2650 + (i % 7) * 0.001, 116.8600 + (i % 5) * 0.001
        lines.append(
            f"bp-{i},{OFFENCE_CODES[i % 12]},"
            f"2025-01-{start_day + i % 20:02d}T0{i % 10}:15:00+08:00,,{lat},{lon}\n"
        )
    return "".join(lines)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def data_lines(path: str) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


# -- the canonical layout ------------------------------------------------------------------
def test_it_imports_the_canonical_layout_with_offsets_and_empty_places(tmp_path: Path) -> None:
    kel = Kelurahan.objects.get(code="64.71.05.1008")
    path = write(
        tmp_path,
        "bp.csv",
        CANONICAL_HEADER
        + f"a1,curat,2025-03-01T22:00:00+08:00,2025-03-02T06:30:00+08:00,{kel.lat},{kel.lon}\n"
        + "a2,theft,2025-03-01T14:00:00Z,,,\n"
        + "a3,curanmor,2025-03-02T01:00:00+08:00,,0,0\n",
    )
    batch = run_import(path, ImportOptions())
    assert batch.state == ImportBatch.State.DONE
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (3, 3, 0)
    assert batch.rows_without_location == 2
    a1 = Incident.objects.get(external_id="a1")
    assert a1.occurred_from == utc(2025, 3, 1, 14, 0)
    assert a1.occurred_to == utc(2025, 3, 1, 22, 30)
    assert a1.kelurahan_code == "64.71.05.1008"
    assert a1.kelurahan_id == kel.pk
    assert a1.unit_id == lookup.responsible_unit_id(kel.lat, kel.lon)
    assert a1.import_batch_id == batch.pk and not a1.is_synthetic
    a2 = Incident.objects.get(external_id="a2")
    assert a2.lat is None and a2.lon is None and a2.occurred_to is None and a2.kelurahan is None
    assert Incident.objects.get(external_id="a3").has_location is False


def test_other_datasets_get_no_kelurahan(tmp_path: Path) -> None:
    kel = Kelurahan.objects.first()
    assert kel is not None
    path = write(
        tmp_path, "x.csv", CANONICAL_HEADER + f"1,theft,2025-01-01T00:00Z,,{kel.lat},{kel.lon}\n"
    )
    run_import(path, ImportOptions(dataset="elsewhere"))
    incident = Incident.objects.get(dataset="elsewhere")
    assert incident.kelurahan_code == "" and incident.unit is None


def test_bulk_area_lookup_agrees_with_the_point_lookup() -> None:
    rng = np.random.default_rng(7)
    lat = rng.uniform(-1.36, -1.03, 400)
    lon = rng.uniform(116.75, 117.05, 400)
    lat[:3] = np.nan
    for kel in Kelurahan.objects.all()[:10]:  # interior points and exact borders get covered
        lat[3 + kel.pk % 50], lon[3 + kel.pk % 50] = kel.lat, kel.lon
    found = locate_many(lat, lon)
    for i in range(len(lat)):
        if math.isnan(lat[i]):
            assert found.kelurahan_id[i] is None and found.unit_id[i] is None
            continue
        area = lookup.find_area(float(lat[i]), float(lon[i]))
        assert found.kelurahan_code[i] == (area.kelurahan_code if area else "")
        assert found.unit_id[i] == lookup.responsible_unit_id(float(lat[i]), float(lon[i]))


# -- idempotency -------------------------------------------------------------------------------
def test_importing_the_same_file_twice_gives_the_same_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "bp.csv", canonical_rows(40))
    first = run_import(path, ImportOptions())
    before = list(Incident.objects.order_by("external_id").values())
    second = run_import(path, ImportOptions())
    assert (first.rows_created, second.rows_created, second.rows_updated) == (40, 0, 0)
    assert list(Incident.objects.order_by("external_id").values()) == before


def test_a_changed_row_is_updated_with_version_and_event(tmp_path: Path) -> None:
    path = write(tmp_path, "bp.csv", canonical_rows(10))
    run_import(path, ImportOptions())
    changed = path.read_text().replace("bp-3,theft", "bp-3,fraud")
    second = run_import(write(tmp_path, "bp2.csv", changed), ImportOptions())
    assert (second.rows_created, second.rows_updated) == (0, 1)
    incident = Incident.objects.get(external_id="bp-3")
    assert incident.category == "fraud" and incident.version == 2
    assert incident.import_batch_id == second.pk
    event = IncidentEvent.objects.get(incident=incident, field="category")
    assert (event.action, event.field, event.old_value, event.new_value) == (
        "imported",
        "category",
        "theft",
        "fraud",
    )


def test_rows_without_ids_get_stable_derived_ids(tmp_path: Path) -> None:
    text = (
        "category,date,lat,lon\n"
        "theft,2025-01-01 10:00,,\n"
        "theft,2025-01-01 10:00,,\n"  # identical: a second incident, not a duplicate
        "curat,2025-01-02 11:00,,\n"
    )
    path = write(tmp_path, "noid.csv", text)
    run_import(path, ImportOptions(dataset="noid", id_prefix="x-"))
    ids = sorted(Incident.objects.filter(dataset="noid").values_list("external_id", flat=True))
    again = run_import(path, ImportOptions(dataset="noid", id_prefix="x-"))
    assert len(ids) == 3 and again.rows_created == 0
    assert all(i.startswith("x-") for i in ids)
    assert sorted(i.rsplit("-", 1)[1] for i in ids) == ["1", "1", "2"]


# -- times -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("id,category,date,hour,lat,lon", "1,theft,2025-02-03,7,,", utc(2025, 2, 2, 23, 0)),
        ("id,category,date,time,lat,lon", "1,theft,2025-02-03,07:45,,", utc(2025, 2, 2, 23, 45)),
        ("id,category,tanggal,lat,lon", "1,theft,2025-02-03 07:45:00,,", utc(2025, 2, 2, 23, 45)),
        (
            "id,category,year,month,day,hour,minute,lat,lon",
            "1,theft,2025,2,3,7,5,,",
            utc(2025, 2, 2, 23, 5),
        ),
        ("id,category,year,month,day,lat,lon", "1,theft,2025,2,3,,", utc(2025, 2, 2, 16, 0)),
    ],
)
def test_it_reads_every_date_layout_in_the_source_zone(
    tmp_path: Path, header: str, row: str, expected: datetime
) -> None:
    path = write(tmp_path, "t.csv", f"{header}\n{row}\n")
    options = sniff(path).guessed
    options.columns.setdefault("date", "tanggal") if "tanggal" in header else None
    batch = run_import(path, options)
    assert batch.rows_created == 1, batch.rejected
    assert Incident.objects.get().occurred_from == expected  # WITA is UTC+8


def test_an_explicit_date_format_reads_day_first_dates(tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", "id,category,date,lat,lon\n1,theft,03/02/2025 07:00,,\n")
    run_import(path, ImportOptions(date_format="%d/%m/%Y %H:%M"))
    assert Incident.objects.get().occurred_from == utc(2025, 2, 2, 23, 0)


def test_sniff_guesses_day_first_when_a_day_is_over_twelve(tmp_path: Path) -> None:
    path = write(
        tmp_path, "d.csv", "id,category,date\n1,theft,03/02/2025 07:00\n2,theft,25/02/2025 08:00\n"
    )
    assert sniff(path).guessed.date_format == "%d/%m/%Y %H:%M"


def test_dst_ambiguous_and_nonexistent_local_times_are_deterministic() -> None:
    vancouver = zone("America/Vancouver")
    # 2025-11-02 01:30 happens twice: the first (daylight, -07:00) is taken
    assert to_utc(datetime(2025, 11, 2, 1, 30), vancouver) == utc(2025, 11, 2, 8, 30)
    # 2025-03-09 02:30 never happens: read with the offset before the change (-08:00)
    assert to_utc(datetime(2025, 3, 9, 2, 30), vancouver) == utc(2025, 3, 9, 10, 30)


# -- category mapping --------------------------------------------------------------------------
def test_builtin_mappings_load_idempotently_and_keep_edits() -> None:
    load_builtin_mappings()
    CategoryMapping.objects.filter(scheme="vancouver", external="Mischief").update(code="other")
    assert load_builtin_mappings() == 0
    assert CategoryMapping.objects.get(scheme="vancouver", external="Mischief").code == "other"
    for scheme in ("vancouver", "chicago", "nyc"):
        assert set(read_builtin(scheme).values()) <= set(OFFENCE_CODES)


def test_map_options_override_and_catch_all(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.csv",
        "external_id,category,date\n1,Theft of Bicycle,2025-01-01 00:00\n"
        "2,Mischief,2025-01-01 00:00\n3,Something New,2025-01-01 00:00\n",
    )
    run_import(
        path,
        ImportOptions(
            category_scheme="vancouver", category_map={"Theft of Bicycle": "curat", "*": "other"}
        ),
    )
    got = dict(Incident.objects.values_list("external_id", "category"))
    assert got == {"1": "curat", "2": "disorder", "3": "other"}
    assert Incident.objects.get(external_id="3").source_category == "Something New"


def test_a_map_to_an_unknown_code_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "id,category,date\n1,x,2025-01-01\n")
    with pytest.raises(ImportOptionsError):
        run_import(path, ImportOptions(category_map={"x": "pickpocket"}))
    assert ImportBatch.objects.get().state == ImportBatch.State.FAILED


# -- the validation report ---------------------------------------------------------------------
def test_bad_rows_are_rejected_with_line_and_reason(tmp_path: Path) -> None:
    text = (
        CANONICAL_HEADER
        + "ok,theft,2025-01-01T00:00+08:00,,,\n"
        + "d1,theft,not a date,,,\n"
        + "c1,pickpocketing,2025-01-01T00:00+08:00,,,\n"
        + "g1,theft,2025-01-01T00:00+08:00,,north,east\n"
        + "g2,theft,2025-01-01T00:00+08:00,,95,10\n"
        + "w1,theft,2025-01-02T00:00+08:00,2025-01-01T00:00+08:00,,\n"
        + "ok,curat,2025-01-01T00:00+08:00,,,\n"
        + ",theft,2025-01-01T00:00+08:00,,,\n"
        + "g3,theft,2025-01-01T00:00+08:00,,-1.2,\n"
    )
    report = tmp_path / "rejected.csv"
    batch = run_import(write(tmp_path, "bad.csv", text), ImportOptions(), report_path=report)
    got = [(r["line"], r["code"]) for r in batch.rejected]
    assert got == [
        (3, "bad_date"),
        (4, "unknown_category"),
        (5, "bad_coordinates"),
        (7, "bad_window"),
        (8, "duplicate_id"),
        (9, "missing_id"),
        (10, "bad_coordinates"),
        (6, "bad_coordinates"),  # found when the chunk is projected
    ]
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (9, 1, 8)
    assert all(r["reason"] for r in batch.rejected)
    with report.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["line"]) for r in rows] == [3, 4, 5, 7, 8, 9, 10, 6]
    assert rows[1]["category"] == "pickpocketing" and rows[1]["code"] == "unknown_category"
    assert batch.options["report_path"] == str(report)


def test_the_report_goes_next_to_the_batch_by_default(tmp_path: Path, settings: Any) -> None:
    settings.VAR_DIR = tmp_path / "var"
    path = write(tmp_path, "b.csv", CANONICAL_HEADER + "1,theft,yesterday,,,\n")
    batch = run_import(path, ImportOptions())
    expected = tmp_path / "var" / "imports" / f"batch-{batch.pk}-rejected.csv"
    assert expected.exists() and batch.options["report_path"] == str(expected)


# -- dry run, rollback, progress -----------------------------------------------------------------
def test_a_dry_run_writes_nothing_but_the_report(tmp_path: Path) -> None:
    path = write(tmp_path, "bp.csv", canonical_rows(30) + "bad,theft,never,,,\n")
    batch = run_import(path, ImportOptions(dry_run=True))
    assert Incident.objects.count() == 0
    assert batch.state == ImportBatch.State.DRY_RUN
    assert (batch.rows_total, batch.rows_created, batch.rows_rejected) == (31, 30, 1)


def test_a_failure_mid_file_leaves_nothing_of_the_batch(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    path = write(tmp_path, "bp.csv", canonical_rows(55))
    calls: list[float] = []

    def explode(fraction: float) -> None:
        calls.append(fraction)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        run_import(path, ImportOptions(), progress=explode)
    assert Incident.objects.count() == 0
    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.FAILED and "RuntimeError" in batch.error
    assert batch.rows_created == 0


def test_an_interrupt_rolls_back_too(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    path = write(tmp_path, "bp.csv", canonical_rows(30))

    def interrupt(fraction: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(path, ImportOptions(), progress=interrupt)
    assert Incident.objects.count() == 0
    assert ImportBatch.objects.get().state == ImportBatch.State.FAILED


def test_progress_is_reported_per_chunk_up_to_one(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    seen: list[float] = []
    batch = run_import(
        write(tmp_path, "bp.csv", canonical_rows(45)), ImportOptions(), progress=seen.append
    )
    assert len(seen) == 5 and seen == sorted(seen) and seen[-1] == 1.0
    assert batch.progress == 1.0 and importer.import_progress(batch) == 1.0


# -- sniff, preview, task ------------------------------------------------------------------------
def test_preview_parses_without_writing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        CANONICAL_HEADER + "1,theft,2025-01-01T00:00Z,,-1.25,116.85\n2,theft,bad,,,\n",
    )
    rows = preview(path, ImportOptions(), rows=5)
    assert [r.line for r in rows] == [2, 3]
    assert rows[0].values is not None and rows[0].values["lat"] == -1.25
    assert rows[1].values is None and rows[1].error
    assert Incident.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_the_background_task_runs_a_prepared_batch(tmp_path: Path) -> None:
    from kamtibmas.incidents.importer import prepare_batch
    from kamtibmas.incidents.tasks import run_import_task

    batch = prepare_batch(write(tmp_path, "bp.csv", canonical_rows(5)), ImportOptions())
    run_import_task.enqueue(batch.pk)  # the test settings run tasks immediately
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE and Incident.objects.count() == 5


# -- the command line ----------------------------------------------------------------------------
def run_cli(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("incidents_import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_prints_progress_and_a_summary(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 50)
    path = write(tmp_path, "bp.csv", canonical_rows(2000) + "bad,theft,never,,,\n")
    out = run_cli(str(path), "--dataset", "balikpapan", "--report", str(tmp_path / "r.csv"))
    assert "100%" in out and out.count("%") >= 10
    assert "2001 rows, 2000 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert (tmp_path / "r.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv", "--dataset", "x"], "not found"),
        (["{f}", "--dataset", "Bad Name"], "--dataset"),
        (["{f}", "--dataset", "x", "--crs", "EPSG:99999999"], "coordinate system"),
        (["{f}", "--dataset", "x", "--tz", "Mars/Olympus"], "time zone"),
        (["{f}", "--dataset", "x", "--column", "lat"], "NAME=VALUE"),
        (["{f}", "--dataset", "x", "--column", "lat=nope"], "nope"),
        (["{f}", "--dataset", "x", "--column", "colour=lat"], "colour"),
        (["{f}", "--dataset", "x", "--map", "theft=pickpocket"], "pickpocket"),
        (["{f}", "--dataset", "x", "--category-scheme", "atlantis"], "atlantis"),
    ],
)
def test_bad_options_stop_with_a_message(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, "bp.csv", canonical_rows(3))
    with pytest.raises(CommandError, match=message):
        run_cli(*[a.replace("{f}", str(path)) for a in args])
    assert Incident.objects.count() == 0


def test_the_console_script_knows_the_verbs() -> None:
    from kamtibmas.cli import resolve

    assert resolve(["incidents", "import", "a.csv"]) == ["incidents_import", "a.csv"]
    assert resolve(["incidents", "export", "--dataset", "x"])[0] == "incidents_export"  # type: ignore[index]


# -- real data of three cities ---------------------------------------------------------------
def test_vancouver_one_year_imports_completely() -> None:
    path = shared_data("crime", "vancouver", "crimedata_csv_AllNeighbourhoods_2025.csv")
    guessed = sniff(path)
    assert guessed.layout == "vancouver" and guessed.guessed.crs == "EPSG:26910"
    with open(path, encoding="utf-8", newline="") as fh:
        source = list(csv.DictReader(fh))
    withheld = sum(1 for r in source if not r["X"] or (float(r["X"]) == 0 and float(r["Y"]) == 0))
    out = run_cli(path, "--dataset", "vancouver")
    assert "rejected" in out
    batch = ImportBatch.objects.get()
    assert batch.rows_total == len(source) == data_lines(path)
    assert batch.rows_rejected == 0 and Incident.objects.filter(dataset="vancouver").count() == len(
        source
    )
    assert batch.rows_without_location == withheld
    assert Incident.objects.filter(lat__isnull=True).count() == withheld
    by_type = dict(Incident.objects.values_list("source_category", "category").distinct())
    assert len(by_type) == 11 and set(by_type.values()) <= set(OFFENCE_CODES)
    assert by_type["Theft of Vehicle"] == "curanmor" and by_type["Homicide"] == "homicide"
    # the file's first row: Break and Enter Commercial, 2025-11-25 00:00 local, 10XX PACIFIC ST
    first = Incident.objects.filter(
        source_category="Break and Enter Commercial", occurred_from=utc(2025, 11, 25, 8, 0)
    )
    assert first.exists()
    row = first.exclude(lat=None).first()
    assert row is not None and abs(row.lat - 49.28) < 0.01 and abs(row.lon - (-123.13)) < 0.01
    located = Incident.objects.exclude(lat=None)
    assert not located.exclude(lat__range=(49.19, 49.32), lon__range=(-123.23, -123.02)).exists()
    assert not located.filter(kelurahan_code__gt="").exists()
    # Counts per category equal the file's
    assert Counter(Incident.objects.values_list("source_category", flat=True)) == Counter(
        r["TYPE"] for r in source
    )


def test_chicago_one_year_imports_with_its_ids_and_local_time() -> None:
    path = shared_data("crime", "chicago-sample", "chicago_crimes_sample_2018.csv")
    assert sniff(path).layout == "chicago"
    batch = run_import(
        path,
        sniff(path).guessed.__class__(**{**sniff(path).guessed.to_json(), "dataset": "chicago"}),
    )
    assert batch.rows_rejected == 0, batch.rejected[:3]
    assert batch.rows_created == data_lines(path)
    incident = Incident.objects.get(dataset="chicago", external_id="11227635")
    assert incident.occurred_from == utc(2018, 1, 1, 6, 0)  # 0:00 CST
    assert incident.category == "fraud" and incident.lp_number == "JB147669"
    assert (
        not Incident.objects.filter(dataset="chicago").exclude(category__in=OFFENCE_CODES).exists()
    )
    located = Incident.objects.filter(dataset="chicago").exclude(lat=None)
    assert not located.exclude(lat__range=(41.6, 42.1), lon__range=(-87.95, -87.5)).exists()
    # Assault and battery flagged domestic in the file are KDRT; nothing else changes.
    with open(path, encoding="utf-8") as fh:
        domestic = sum(
            r["domestic"] == "True" and r["primary_type"] in ("ASSAULT", "BATTERY")
            for r in csv.DictReader(fh)
        )
    kdrt = Incident.objects.filter(dataset="chicago", category="domestic_violence")
    assert domestic > 0
    assert kdrt.exclude(source_category="DOMESTIC VIOLENCE").count() == domestic


def test_nyc_vehicle_thefts_keep_their_window_and_are_all_curanmor() -> None:
    path = shared_data("crime", "nyc-vehicle-thefts", "nycvehiclethefts_2014_2017.csv")
    with pytest.raises(CommandError, match=r"\*=CODE"):
        run_cli(path, "--dataset", "nyc")
    out = run_cli(path, "--dataset", "nyc", "--map", "*=curanmor")
    assert "0 rejected" in out
    rows = Incident.objects.filter(dataset="nyc")
    assert rows.count() == data_lines(path)
    assert set(rows.values_list("category", flat=True)) == {"curanmor"}
    first = rows.get(external_id="12386084")  # 2013-12-31 10:00 .. 2014-01-01 16:30 EST
    assert first.occurred_from == utc(2013, 12, 31, 15, 0)
    assert first.occurred_to == utc(2014, 1, 1, 21, 30)
    assert rows.filter(occurred_to__isnull=True).count() > 0
    located = rows.exclude(lat=None)
    assert not located.exclude(lat__range=(40.49, 40.92), lon__range=(-74.26, -73.69)).exists()


@pytest.mark.django_db
def test_a_builtin_scheme_reads_its_file_until_the_database_has_it() -> None:
    from kamtibmas.incidents.mapping import CategoryResolver, scheme_rows
    from kamtibmas.incidents.models import CategoryMapping

    CategoryMapping.objects.filter(scheme="vancouver").delete()
    assert ("Theft of Vehicle", "curanmor") in scheme_rows("vancouver")
    assert CategoryResolver("vancouver")("Theft of Vehicle") == "curanmor"
    CategoryMapping.objects.create(scheme="vancouver", external="Theft of Vehicle", code="theft")
    assert scheme_rows("vancouver") == [("Theft of Vehicle", "theft")]  # an admin's table wins
