"""`kamtibmas forecast evaluate` on a small synthetic canonical CSV."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

KEYS = {"model", "coverage", "hit_rate", "pai", "pei", "ci_low", "ci_high"}


@pytest.fixture(scope="module")
def incidents_csv(tmp_path_factory) -> Path:
    """150 days of incidents around two Balikpapan hot spots, times in WITA (+08:00)."""
    rng = np.random.default_rng(11)
    n = 2500
    hot = np.array([[-1.2400, 116.8300], [-1.2600, 116.8600]])
    k = rng.integers(0, 2, n)
    lat = hot[k, 0] + rng.normal(0.0, 0.002, n)
    lon = hot[k, 1] + rng.normal(0.0, 0.002, n)
    spread = rng.random(n) < 0.3
    lat[spread] = rng.uniform(-1.28, -1.22, int(spread.sum()))
    lon[spread] = rng.uniform(116.80, 116.90, int(spread.sum()))
    seconds = np.sort(rng.uniform(0, 150 * 86400, n))
    category = rng.choice(["curat", "curas", "theft"], n)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    wita = timedelta(hours=8)
    path = tmp_path_factory.mktemp("forecast") / "incidents.csv"
    lines = ["external_id,category,occurred_from,occurred_to,lat,lon,source_category"]
    for i in range(n):
        when = (start + timedelta(seconds=float(seconds[i])) + wita).replace(tzinfo=None)
        source = "Pencurian" if category[i] == "theft" else "Curat/Curas"
        lines.append(
            f"bp-{i},{category[i]},{when.isoformat(timespec='seconds')}+08:00,,"
            f"{lat[i]:.6f},{lon[i]:.6f},{source}"
        )
    lines.append("bp-x,theft,2025-02-01T10:00:00+08:00,,,,Pencurian")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> str:
    err = io.StringIO()
    call_command("forecast_evaluate", *args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def base_args(csv: Path, out: Path) -> list[str]:
    return [
        str(csv),
        "--cell-m",
        "150",
        "--horizon-days",
        "7",
        "--train-until",
        "2025-03-31",
        "--test-from",
        "2025-04-01",
        "--test-until",
        "2025-05-28",
        "--tz",
        "Asia/Makassar",
        "--out",
        str(out),
        "--bootstrap",
        "100",
    ]


def test_it_writes_result_rows_and_a_plot(incidents_csv, tmp_path):
    out, plot = tmp_path / "results.json", tmp_path / "hit.svg"
    models = ["last_period", "long_run", "retrospective_kde", "prospective", "auto"]
    log = run(
        *base_args(incidents_csv, out),
        "--models",
        *models,
        "--auto-candidates",
        "last_period,long_run,retrospective_kde,prospective",
        "--plot",
        str(plot),
    )
    rows = json.loads(out.read_text())
    assert {r["model"] for r in rows} == set(models)
    assert len(rows) == len(models) * 5
    for row in rows:
        assert set(row) >= KEYS
        assert row["periods"] == 8  # 2025-04-01 .. 2025-05-28 holds eight whole weeks
        assert 0.0 <= row["ci_low"] <= row["hit_rate"] <= row["ci_high"] <= 1.0
    best = max(r["pai"] for r in rows if r["coverage"] == 0.01)
    assert best > 5  # two tight hot spots: far better than chance
    assert plot.read_text().startswith("<svg")
    assert "1 without a location" in log and "100.0%" in log


def test_it_evaluates_groups_on_a_source_column(incidents_csv, tmp_path):
    out = tmp_path / "groups.json"
    run(
        *base_args(incidents_csv, out),
        "--models",
        "long_run",
        "--group",
        "3c=Curat/Curas",
        "--group",
        "theft=Pencurian",
        "--category-column",
        "source_category",
    )
    rows = json.loads(out.read_text())
    assert {r["group"] for r in rows} == {"3c", "theft"}
    events = {r["group"]: r["events"] for r in rows}
    assert events["3c"] > events["theft"] > 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file": "/nowhere/incidents.csv"}, "File not found"),
        ({"--test-from": "2025-13-01"}, "--test-from expects a date"),
        ({"--models": "crystal_ball"}, "unknown model 'crystal_ball'"),
        ({"--tz": "Mars/Olympus"}, "Unknown time zone"),
        ({"--train-until": "2025-05-01"}, "training span must end before"),
        ({"--test-until": "2025-04-03"}, "no whole forecast period"),
        ({"--crs": "EPSG:999999"}, "Unknown coordinate system"),
        ({"--cell-m": "-5"}, "must be > 0"),
    ],
)
def test_it_explains_bad_input_without_a_traceback(incidents_csv, tmp_path, change, message):
    args = base_args(incidents_csv, tmp_path / "r.json")
    if "file" in change:
        args[0] = change["file"]
    for option, value in change.items():
        if option.startswith("--"):
            if option in args:
                args[args.index(option) + 1] = value
            else:
                args += [option, value]
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(*args)


def test_it_explains_a_malformed_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "external_id,category,occurred_from,occurred_to,lat,lon\na,theft,yesterday,,1,2\n"
    )
    with pytest.raises(CommandError, match="line 2"):
        run(*base_args(bad, tmp_path / "r.json"))


def test_it_reads_a_vancouver_file_through_the_importer_parser(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "vpd.csv"
    lines = ["TYPE,YEAR,MONTH,DAY,HOUR,MINUTE,HUNDRED_BLOCK,NEIGHBOURHOOD,X,Y"]
    expected = 0
    start = datetime(2025, 1, 1)
    for i in range(1500):
        when = start + timedelta(days=float(rng.uniform(0, 120)))
        kind = "Theft from Vehicle" if i % 3 else "Mischief"
        x, y = 491000 + rng.normal(0, 400), 5458000 + rng.normal(0, 400)
        if i % 50 == 0:
            x = y = 0.0  # withheld by VPD
        elif kind == "Theft from Vehicle" and datetime(2025, 4, 1) <= when < datetime(2025, 4, 29):
            expected += 1
        lines.append(
            f"{kind},{when.year},{when.month},{when.day},{when.hour},{when.minute},"
            f"10XX MAIN ST,Strathcona,{x:.1f},{y:.1f}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "vpd.json"
    log = run(
        str(path),
        "--layout",
        "vancouver",
        "--train-until",
        "2025-03-31",
        "--test-from",
        "2025-04-01",
        "--test-until",
        "2025-04-28",
        "--models",
        "long_run",
        "--group",
        "vehicle=Theft from Vehicle",
        "--category-column",
        "source_category",
        "--bootstrap",
        "20",
        "--out",
        str(out),
    )
    rows = json.loads(out.read_text())
    assert "30 without a location" in log and "EPSG:32610" in log
    assert rows[0]["periods"] == 4
    # local Vancouver days: every located vehicle theft of April 1-28 is in the study area
    assert rows[0]["events"] == expected


def test_it_scores_only_inside_a_study_area_polygon(incidents_csv, tmp_path):
    # the western hot spot (lon 116.83) only: a box around it, in lon/lat
    box = [[116.815, -1.255], [116.845, -1.255], [116.845, -1.225], [116.815, -1.225]]
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps({"type": "Polygon", "coordinates": [box + [box[0]]]}), encoding="utf-8"
    )
    full, part = tmp_path / "full.json", tmp_path / "part.json"
    run(*base_args(incidents_csv, full), "--models", "long_run")
    run(*base_args(incidents_csv, part), "--models", "long_run", "--study-area", str(area))
    events_full = json.loads(full.read_text())[0]["events"]
    events_part = json.loads(part.read_text())[0]["events"]
    assert 0 < events_part < events_full / 1.5


def test_it_explains_an_unreadable_study_area(incidents_csv, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="study area"):
        run(*base_args(incidents_csv, tmp_path / "r.json"), "--study-area", str(bad))
