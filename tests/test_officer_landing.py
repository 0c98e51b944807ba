"""Where officers land after logging in, and what the staff report page shows of ``extra``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kamtibmas.accounts import roles
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SELATAN = "polsek-balikpapan-selatan"


@pytest.mark.parametrize(
    ("role", "unit", "landing"),
    [
        (roles.COMMUNITY_OFFICER, SELATAN, "/petugas/siskamling/dasbor/"),
        (roles.PUBLIC_RELATIONS, "polres-balikpapan", "/petugas/konten/"),
        (roles.DESK_OFFICER, SELATAN, "/petugas/laporan/"),
        (roles.CITIZEN, None, "/"),
    ],
)
def test_each_role_lands_where_its_daily_work_is(role: str, unit: str | None, landing: str) -> None:
    make_user("someone", role, unit)
    response = Client().post(
        "/akun/masuk/", {"username": "someone", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response["Location"] == landing


def test_a_requested_page_still_wins_over_the_landing_page() -> None:
    make_user("someone", roles.COMMUNITY_OFFICER, SELATAN)
    response = Client().post(
        "/akun/masuk/?next=/petugas/kegiatan/",
        {"username": "someone", "password": "correct-horse-battery"},
    )
    assert response["Location"] == "/petugas/kegiatan/"


def test_the_staff_page_shows_answers_to_questions_but_no_internal_keys(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report(extra={"vehicle_type": "motorcycle"})
    report.extra["siskamling_post"] = 30  # an internal key of an older version
    report.save(update_fields=["extra"])
    client = Client()
    client.force_login(officer_selatan)
    page = client.get(f"/petugas/laporan/{report.tracking_code}/").content.decode()
    assert "Jenis kendaraan: motorcycle" in page
    assert "siskamling_post" not in page
