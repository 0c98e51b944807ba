"""The fast write path of the incident import: COPY text built column by column and sent by a
worker thread on PostgreSQL (``kamtibmas.incidents.dbwrite``). Oracles: psycopg's own COPY
formatter for the text, the import's preview (what the parser read) for the stored rows."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from psycopg._copy_base import TextFormatter
from psycopg.adapt import Transformer

from kamtibmas.incidents import dbwrite, importer
from kamtibmas.incidents.importer import ImportOptions, preview, run_import
from kamtibmas.incidents.models import ImportBatch, Incident

HEADER = [
    "external_id",
    "category",
    "occurred_from",
    "occurred_to",
    "lat",
    "lon",
    "lp_number",
    "premises_type",
    "modus_operandi",
]
AWKWARD = ["tab\there", "back\\slash", "two\nlines", "cr\rhere", "\\N", "ünï €", "q'uote\"", ""]


def _csv(tmp_path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp_path / "awkward.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def _rows(n: int, seed: int = 7) -> list[list[str]]:
    """Random rows: awkward text, fractional seconds, open windows, rows without a place."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        second = f"{rng.integers(0, 60):02d}" + (f".{rng.integers(0, 10**6):06d}" if i % 3 else "")
        start = f"2025-0{1 + i % 9}-1{i % 10}T{i % 24:02d}:0{i % 10}:{second}+08:00"
        end = "" if i % 4 else f"2025-0{1 + i % 9}-2{i % 10}T05:00:00+08:00"
        place = (
            ["", ""]
            if i % 11 == 0
            else [repr(rng.uniform(-1.3, -1.1)), repr(rng.uniform(116.8, 117.0))]
        )
        rows.append(
            [
                f"id-{i}-{AWKWARD[i % len(AWKWARD)]}".strip(),
                ["curat", "theft", "curanmor"][i % 3],
                start,
                end,
                *place,
                AWKWARD[(i + 1) % len(AWKWARD)],
                AWKWARD[(i + 2) % len(AWKWARD)],
                AWKWARD[(i + 3) % len(AWKWARD)],
            ]
        )
    return rows


def test_copy_text_is_what_psycopg_itself_would_send() -> None:
    rows = [
        ("a\tb\\c\nd\re", None, 1.5e-07, -1.2345678901234567, 12, "\\N", True, "x"),
        ("plain", "2025-01-01 00:00:00+00:00", None, 0.1, None, "", False, "ü"),
    ]
    formatter = TextFormatter(Transformer())
    expected = b"".join(bytes(formatter.write_row(row)) for row in rows) + bytes(formatter.end())
    columns = [dbwrite._copy_values(list(c)) for c in zip(*rows, strict=True)]
    assert dbwrite._copy_text(columns, "\n").encode() == expected


def test_constant_columns_become_copy_literals() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert [dbwrite._copy_literal(v) for v in (None, "o\tk", True, 3, 0.5, Decimal("2"), at)] == [
        "\\N",
        "o\\tk",
        "t",
        "3",
        "0.5",
        "2",
        "2026-01-02 03:04:05.000006+00:00",
    ]
    with pytest.raises(TypeError):
        dbwrite._copy_literal(object())


@pytest.mark.django_db
def test_it_stores_exactly_what_the_parser_read(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 17)  # several chunks, several COPYs
    rows = _rows(120)
    path = _csv(tmp_path, rows)
    expected = preview(path, ImportOptions(), rows=len(rows))
    assert all(r.error is None for r in expected)
    batch = run_import(path, ImportOptions())
    assert (batch.rows_created, batch.rows_rejected) == (120, 0)
    stored = {i.external_id: i for i in Incident.objects.all()}
    assert len(stored) == 120
    for row in expected:
        assert row.values is not None
        got = stored[row.values["external_id"]]
        for name in ("category", "lp_number", "premises_type", "modus_operandi"):
            assert getattr(got, name) == row.values[name], name
        for name in ("occurred_from", "occurred_to", "reported_at"):
            value = getattr(got, name)
            assert (value.astimezone(UTC).isoformat() if value else "") == row.values[name]
        for name in ("lat", "lon"):
            want = row.values[name]
            assert getattr(got, name) == want or (want is None and getattr(got, name) is None)
        assert got.import_batch_id == batch.pk and got.version == 1
        assert (got.kelurahan_code != "") == (
            got.unit_id is not None or got.kelurahan_id is not None
        )
    assert sum(1 for r in expected if r.values and r.values["lat"] is None) == 11
    kept = {i.lp_number for i in stored.values()} | {i.external_id for i in stored.values()}
    assert {"tab\there", "back\\slash", "two\nlines", "\\N"} <= kept  # reached the table


@pytest.mark.django_db
def test_a_second_import_of_the_file_changes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(importer, "CHUNK_ROWS", 25)
    path = _csv(tmp_path, _rows(60))
    run_import(path, ImportOptions())
    before = list(Incident.objects.order_by("pk").values())
    again = run_import(path, ImportOptions())
    assert (again.rows_created, again.rows_updated) == (0, 0)
    assert list(Incident.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_row_the_database_refuses_in_a_later_chunk_rolls_back_every_chunk(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The server's error comes from the worker's COPY; nothing of the batch may remain."""
    monkeypatch.setattr(importer, "CHUNK_ROWS", 10)
    rows = _rows(45)
    run_import(_csv(tmp_path, rows[33:34]), ImportOptions())  # the 34th row exists already
    # Pretend the look-up found nothing: the 4th chunk then inserts a duplicate id.
    monkeypatch.setattr(dbwrite.ChunkWriter, "_existing", lambda self, ids: {})
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        run_import(_csv(tmp_path, rows), ImportOptions())
    assert Incident.objects.count() == 1
    failed = ImportBatch.objects.order_by("pk").last()
    assert failed is not None and failed.state == ImportBatch.State.FAILED
    assert failed.rows_created == 0
