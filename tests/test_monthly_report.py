"""The monthly Kamtibmas PDF: renders in Indonesian, on demand and once from the scheduler."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client

from kamtibmas.analytics import monthly
from kamtibmas.incidents.models import Incident
from kamtibmas.portal.management.commands import scheduler
from tests.test_analytics_pages import fresh_layers, login, make_incidents  # noqa: F401


@pytest.fixture
def incidents(db: Any) -> list[Incident]:
    return make_incidents(400, end=datetime(2026, 10, 31, 12, tzinfo=UTC), days=700)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _pages(pdf: bytes) -> int:
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def test_the_pdf_renders_with_every_section(incidents: list[Incident]) -> None:
    pdf = monthly.build_pdf(Incident.objects.all(), date(2026, 10, 1))
    assert pdf.startswith(b"%PDF")
    assert _pages(pdf) >= 4
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        command = [pdftotext, "-layout", "-", "-"]
        result = subprocess.run(command, input=pdf, capture_output=True, check=True)  # noqa: S603
        text = result.stdout.decode()
        for phrase in (
            "Oktober 2026",
            "Ringkasan",
            "Kejadian per Polsek",
            "Polsek Balikpapan",
            "Tren bulanan",
            "Titik rawan per kelurahan",
            "sintetis",
        ):
            assert phrase in text, phrase


def test_the_summary_states_the_comparisons(incidents: list[Incident]) -> None:
    data = monthly.collect(Incident.objects.all(), date(2026, 10, 1))
    text = monthly.summary_text(data)
    assert f"<b>{data.total}</b>" in text
    assert "September 2026" in text and "Oktober 2025" in text
    assert data.total == sum(u.vs_previous.current for u in data.units)


def test_an_officer_downloads_a_pdf_of_their_scope(
    incidents: list[Incident], officer_selatan: Any
) -> None:
    response = login(officer_selatan).get("/analisis/laporan-bulanan/?bulan=2026-10")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "laporan-kamtibmas-2026-10.pdf" in response["Content-Disposition"]


def test_a_bad_month_is_a_notice_not_an_error(officer_selatan: Any) -> None:
    response = login(officer_selatan).get("/analisis/laporan-bulanan/?bulan=2026-13")
    assert response.status_code == 200
    assert list(response.context["messages"])


def test_the_scheduler_builds_last_months_report_once(
    incidents: list[Incident], media: Any, commander_polres: Any, officer_selatan: Any
) -> None:
    first_of_november = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)  # 08:00 WITA
    job = next(j for j in scheduler.JOBS if j.name == "monthly_report")
    assert job in scheduler.due_jobs(first_of_november)

    with _frozen(first_of_november):
        assert scheduler.run_tick(first_of_november, [job]) == ["monthly_report"]
    stored = media / "reports" / "monthly" / "laporan-kamtibmas-2026-10.pdf"
    assert stored.read_bytes().startswith(b"%PDF")
    built_at = stored.stat().st_mtime_ns

    an_hour_later = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    with _frozen(an_hour_later):
        scheduler.run_tick(an_hour_later, [job])
    assert stored.stat().st_mtime_ns == built_at, "built once"

    page = login(commander_polres).get("/analisis/laporan-bulanan/")
    assert "Oktober 2026" in page.content.decode()
    download = login(commander_polres).get(
        "/analisis/laporan-bulanan/arsip/laporan-kamtibmas-2026-10.pdf"
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    # The stored report covers the whole Polres: a Polsek officer neither lists nor reads it.
    assert (
        "Oktober 2026"
        not in login(officer_selatan).get("/analisis/laporan-bulanan/").content.decode()
    )
    assert (
        login(officer_selatan)
        .get("/analisis/laporan-bulanan/arsip/laporan-kamtibmas-2026-10.pdf")
        .status_code
        == 404
    )


def test_a_stored_report_name_cannot_escape_the_folder(media: Any, commander_polres: Any) -> None:
    client = login(commander_polres)
    assert client.get("/analisis/laporan-bulanan/arsip/..%2Fsecret_key").status_code == 404


def _frozen(at: datetime) -> Any:
    import time_machine

    return time_machine.travel(at, tick=False)


def test_anonymous_visitors_go_to_login(db: Any) -> None:
    response = Client().get("/analisis/laporan-bulanan/?bulan=2026-10")
    assert response.status_code == 302
