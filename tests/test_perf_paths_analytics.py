"""The crime map's fast paths (``kamtibmas.analytics.facts`` and ``factstore``): numbers equal to
the SQL path for random filters, snapshots shared between processes through the var directory,
and the snapshot an import leaves behind."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.http import QueryDict

from kamtibmas.analytics import aggregates, facts, factstore, layers, queries
from kamtibmas.geo.models import Unit
from kamtibmas.incidents.importer import ImportOptions, run_import
from kamtibmas.incidents.models import Incident
from tests.conftest import SELATAN_KELURAHAN
from tests.test_analytics_pages import END, make_incidents

pytestmark = pytest.mark.django_db

CATEGORIES = ["curanmor", "curat", "theft", "assault", "narcotics"]


@pytest.fixture(autouse=True)
def no_snapshots() -> Any:
    facts.forget()
    yield
    facts.forget()


def _numbers(scope: Any, f: Any) -> tuple[Any, ...]:
    binned = layers.selection_binned(scope, f)
    order = np.lexsort((binned.y_m, binned.x_m))
    return (
        aggregates.per_unit(scope, f),
        aggregates.top_categories(scope, f, limit=100),
        aggregates.hour_weekday_of(scope, f),
        np.asarray(aggregates.monthly(scope, f).counts).tolist(),
        np.column_stack([binned.x_m, binned.y_m, binned.n])[order],
    )


def _random_query(rng: np.random.Generator, unit_ids: list[int]) -> str:
    length = int(rng.choice([1, 7, 30, 90, 365]))
    to = END.date() - timedelta(days=int(rng.integers(0, 300)))
    parts = [f"from={to - timedelta(days=length - 1)}", f"to={to}"]
    parts += [f"category={c}" for c in rng.choice(CATEGORIES, int(rng.integers(0, 3)))]
    if rng.random() < 0.4:
        parts.append(f"unit={rng.choice(unit_ids)}")
    if rng.random() < 0.2:
        parts.append(f"kelurahan={SELATAN_KELURAHAN}")
    if rng.random() < 0.3:
        parts.append(f"hours={rng.integers(0, 24)}-{rng.integers(0, 24)}")
    parts += [f"weekday={d}" for d in rng.choice(7, int(rng.integers(0, 4)), replace=False) + 1]
    return "&".join(parts)


def test_random_filters_give_the_numbers_of_the_database(monkeypatch: Any) -> None:
    make_incidents(400, seed=11)
    make_incidents(60, seed=12, days=30)  # a dense last month: periods cut through busy days
    scope = Incident.objects.all()
    unit_ids = list(Unit.objects.filter(kind="polsek").values_list("pk", flat=True))
    rng = np.random.default_rng(3)
    for _ in range(12):
        f = queries.parse_filters(QueryDict(_random_query(rng, unit_ids)), scope)
        monkeypatch.setattr(facts, "MIN_ROWS", 10**12)
        sql = _numbers(scope, f)
        monkeypatch.setattr(facts, "MIN_ROWS", 0)
        snapshot = _numbers(scope, f)
        assert snapshot[0] == sql[0] and snapshot[1] == sql[1], f.query()
        np.testing.assert_allclose(snapshot[2], sql[2], rtol=1e-12, atol=1e-12)
        assert snapshot[3] == sql[3]
        np.testing.assert_allclose(snapshot[4], sql[4], rtol=0, atol=1e-6)


def test_a_repeated_filter_reuses_its_rows_and_an_unknown_value_keeps_none(
    monkeypatch: Any,
) -> None:
    make_incidents(120)
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    scope = Incident.objects.all()
    snapshot = facts.for_scope(scope, "balikpapan")
    assert snapshot is not None
    f = queries.parse_filters(QueryDict("from=2026-01-01&to=2026-10-31&hours=22-4"), scope)
    assert snapshot.mask(f) is snapshot.mask(f)
    assert snapshot.mask(f).count == queries.filtered(scope, f).count()
    nothing = queries.Filters("balikpapan", f.date_from, f.date_to, categories=("no-such",))
    assert snapshot.mask(nothing).count == 0
    assert snapshot.counts_by_unit(snapshot.mask(nothing)) == {}


def _same(a: facts.Facts, b: facts.Facts) -> None:
    for name in factstore.ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype, name
    assert (a.categories, a.units, a.kelurahan_codes, a.crs) == (
        b.categories,
        b.units,
        b.kelurahan_codes,
        b.crs,
    )


def test_another_process_reads_the_snapshot_from_the_var_directory(monkeypatch: Any) -> None:
    make_incidents(150)
    Incident.objects.filter(pk=Incident.objects.order_by("pk").first().pk).update(unit_id=None)
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    scope = Incident.objects.all()
    loaded = facts.for_scope(scope, "balikpapan")
    assert loaded is not None and None in loaded.units
    assert len(list(factstore.folder().glob("facts-*.npz"))) == 1
    facts._snapshots.clear()  # a fresh process: nothing in memory

    def no_database(*args: Any) -> None:
        raise AssertionError("loaded from the database")

    monkeypatch.setattr(facts, "load", no_database)
    shared = facts.for_scope(scope, "balikpapan")
    assert shared is not None and shared is not loaded
    _same(shared, loaded)


def test_an_old_or_other_version_file_is_not_used(monkeypatch: Any) -> None:
    make_incidents(80)
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    monkeypatch.setattr(facts, "VERSION_TTL_S", 0.0)
    scope = Incident.objects.all()
    first = facts.for_scope(scope, "balikpapan")
    assert first is not None
    (path,) = factstore.folder().glob("facts-*.npz")
    old = time.time() - facts.MAX_AGE_S - 1
    os.utime(path, (old, old))
    facts._snapshots.clear()
    again = facts.for_scope(scope, "balikpapan")  # from the database, written anew
    assert again is not None and again.rows == first.rows
    assert Path(path).stat().st_mtime > old + 1
    Incident.objects.filter(pk=Incident.objects.first().pk).delete()  # a new data version
    facts._snapshots.clear()
    newer = facts.for_scope(scope, "balikpapan")
    assert newer is not None and newer.rows == first.rows - 1
    assert len(list(factstore.folder().glob("facts-*.npz"))) == 1  # the old version is gone


def test_an_import_leaves_the_snapshot_for_the_web_processes(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    lines = ["external_id,category,occurred_from,occurred_to,lat,lon"]
    lines += [
        f"w-{k},curat,2026-0{1 + k % 9}-1{k % 10}T0{k % 10}:00:00+08:00,,"
        f"{-1.2650 + (k % 7) * 0.001},{116.8600 + (k % 5) * 0.001}"
        for k in range(40)
    ]
    path = tmp_path / "w.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_import(path, ImportOptions())
    stored = list(factstore.folder().glob("facts-*.npz"))
    if connection.vendor != "postgresql":  # SQLite's snapshot load is slow: not warmed there
        assert stored == []
        return
    assert len(stored) == 1
    facts._snapshots.clear()
    facts._checked.clear()
    monkeypatch.setattr(facts, "load", lambda *args: pytest.fail("loaded from the database"))
    warmed = facts.for_scope(Incident.objects.all(), "balikpapan")
    assert warmed is not None and warmed.rows == 40


def test_a_dry_run_warms_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    path = tmp_path / "d.csv"
    path.write_text(
        "external_id,category,occurred_from,occurred_to,lat,lon\n"
        "d-1,curat,2026-01-01T10:00:00+08:00,,-1.265,116.86\n",
        encoding="utf-8",
    )
    run_import(path, ImportOptions(dry_run=True))
    assert not list(factstore.folder().glob("facts-*.npz"))


def test_the_dataset_check_needs_no_query_while_the_snapshot_is_current(
    monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    make_incidents(60)
    monkeypatch.setattr(facts, "MIN_ROWS", 0)
    scope = Incident.objects.all()
    assert facts.for_scope(scope, "balikpapan") is not None
    with django_assert_num_queries(0):
        assert facts.has_rows(scope, "balikpapan")
        assert not facts.has_rows(scope, "vancouver")  # unknown here: the caller asks the db
    f = queries.parse_filters(QueryDict("dataset=vancouver"), scope)
    assert f.dataset == "balikpapan" and f.notices  # still named as unknown
    facts._checked.clear()  # the version is no longer known to be current
    assert not facts.has_rows(scope, "balikpapan")


def test_the_colour_ramp_is_the_straight_interpolation() -> None:
    from kamtibmas.analytics import overlays

    ramp = overlays.RAMP
    rng = np.random.default_rng(5)
    frac = np.concatenate([rng.random(5000), [0, 0.25, 0.5, 0.75, 1, -0.5, 1.5, 0.999999]])
    pos = np.clip(frac, 0, 1) * (len(ramp) - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(ramp) - 1)
    t = (pos - lo)[:, None]
    expected = np.round(ramp[lo] * (1 - t) + ramp[hi] * t).astype(np.uint8)
    np.testing.assert_array_equal(overlays.ramp_colour(frac), expected)
    np.testing.assert_array_equal(
        overlays.ramp_colour(frac.reshape(2, -1)), expected.reshape(2, -1, 3)
    )


def test_the_overlay_png_holds_exactly_the_rgba_pixels() -> None:
    import io

    from PIL import Image

    from kamtibmas.analytics import overlays

    values = np.random.default_rng(2).pareto(1.5, (40, 70))
    values[:5] = 0
    scale = overlays.Scale.for_values(values)
    image = Image.open(io.BytesIO(overlays.png(values, scale)))
    np.testing.assert_array_equal(np.asarray(image.convert("RGBA")), overlays.rgba(values, scale))
