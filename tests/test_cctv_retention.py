"""Snapshot retention: past the camera's retention days, then the oldest beyond the budget."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.test import override_settings
from django.utils import timezone

from kamtibmas.cctv.models import Alert, Camera, CctvEvent
from kamtibmas.cctv.retention import purge_snapshots
from kamtibmas.cctv.tasks import purge_snapshots_task
from tests.conftest import SELATAN_KELURAHAN
from tests.test_cctv_registry import make_camera


def alert_with_snapshot(camera: Camera, root: Path, n: int, age_days: float, size: int) -> Alert:
    taken = timezone.now() - timedelta(days=age_days)
    relative = f"cctv/{camera.name}/{n}.jpg"
    (root / relative).parent.mkdir(parents=True, exist_ok=True)
    (root / relative).write_bytes(b"\xff\xd8" + b"x" * (size - 2))
    return Alert.objects.create(
        camera=camera, event_id=f"{camera.name}-{n}", rule="intrusion", started_at=taken,
        snapshot=relative, snapshot_at=taken,
    )  # fmt: skip


def test_it_deletes_snapshots_past_the_cameras_retention(db: Any, tmp_path: Path) -> None:
    short = make_camera("short", SELATAN_KELURAHAN, "polsek-balikpapan-selatan", retention_days=7)
    long = make_camera("long", SELATAN_KELURAHAN, "polsek-balikpapan-selatan", retention_days=60)
    with override_settings(MEDIA_ROOT=tmp_path):
        old_short = alert_with_snapshot(short, tmp_path, 1, 10, 100)
        new_short = alert_with_snapshot(short, tmp_path, 2, 3, 100)
        old_long = alert_with_snapshot(long, tmp_path, 3, 10, 100)
        result = purge_snapshots()
    assert (result.expired, result.over_budget) == (1, 0)
    assert not (tmp_path / "cctv/short/1.jpg").exists()
    assert (tmp_path / "cctv/short/2.jpg").exists() and (tmp_path / "cctv/long/3.jpg").exists()
    old_short.refresh_from_db()
    assert old_short.snapshot == "" and Alert.objects.filter(pk=old_short.pk).exists()
    assert (
        Alert.objects.get(pk=new_short.pk).snapshot and Alert.objects.get(pk=old_long.pk).snapshot
    )
    assert CctvEvent.objects.filter(action="snapshot_deleted", alert=old_short).exists()


def test_it_deletes_the_oldest_snapshots_beyond_the_budget(db: Any, tmp_path: Path) -> None:
    camera = make_camera("cam", SELATAN_KELURAHAN, "polsek-balikpapan-selatan")
    mib = 1024 * 1024
    with override_settings(MEDIA_ROOT=tmp_path, CCTV_SNAPSHOT_BUDGET_MB=2):
        for n, age in enumerate((5, 4, 3, 2)):
            alert_with_snapshot(camera, tmp_path, n, age, 700 * 1024)  # 4 x 0.68 MiB
        result = purge_snapshots()
        assert (result.expired, result.over_budget) == (0, 2)
        kept = sorted(p.name for p in (tmp_path / "cctv/cam").iterdir())
        assert kept == ["2.jpg", "3.jpg"]
        total = sum(p.stat().st_size for p in (tmp_path / "cctv/cam").iterdir())
        assert total <= 2 * mib
        assert purge_snapshots_task.call() == "expired=0 over_budget=0"
