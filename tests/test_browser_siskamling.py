"""End to end on a phone-sized browser with JavaScript switched off (a cheap phone, a slow
connection): a post coordinator opens the post's link, ticks who came on tonight's duty list,
records the round, then reports something suspicious seen on it and gets a tracking code. The
server has one round linked to tonight's night and one report from the post, linked to it."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from kamtibmas.reports.models import Channel, Report
from kamtibmas.siskamling import checkin
from kamtibmas.siskamling.models import CheckIn, PostReport, RosterNight
from tests.conftest import local_page
from tests.test_siskamling_posts import make_post

pytestmark = [pytest.mark.browser, pytest.mark.live, pytest.mark.django_db(transaction=True)]


def _phone(browser: Any, base_url: str) -> tuple[Any, Any]:
    page = local_page(
        browser, base_url, viewport={"width": 360, "height": 740}, is_mobile=True,
        has_touch=True, java_script_enabled=False,
    )  # fmt: skip
    return page.context, page


def test_coordinator_records_a_round_and_reports_something_suspicious(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    base = live_server.url
    post = make_post(name="Pos Kamling Kenanga")
    now = timezone.now()
    night_date = checkin.night_date(now)
    starts = checkin.moment_of_night(night_date, time(22, 0))
    night = RosterNight.objects.create(
        post=post, date=night_date, members=["Budi Contoh", "Andi Contoh"],
        starts_at=starts, ends_at=starts + timedelta(hours=6),
    )  # fmt: skip
    context, page = _phone(browser, base)

    page.goto(f"{base}/pos/{post.checkin_token}/")
    assert "Pos Kamling Kenanga" in page.inner_text("h1")
    assert page.locator("script").count() == 0  # nothing heavy for a cheap phone
    page.get_by_label("Budi Contoh").check()
    page.get_by_label("Warga lain yang datang").fill("Pak RT Contoh")
    page.get_by_label("Ada kejadian").check()
    page.get_by_label("Yang dilihat").fill("Dua orang asing memeriksa motor yang diparkir.")
    page.get_by_role("button", name="Simpan ronda").click()
    page.wait_for_selector("#round-done")
    assert "2 orang datang" in page.inner_text("#round-done")

    page.get_by_role("link", name="Laporkan hal mencurigakan").click()
    page.wait_for_selector("#suspicious-form")
    page.get_by_label("Jenis kejadian").select_option("crime.curanmor")
    page.locator("#id_description").fill("Dua orang mencoba membuka kunci motor, lari ke jalan.")
    page.get_by_role("button", name="Kirim laporan").click()
    page.wait_for_selector("#tracking-code")
    code = page.inner_text("#tracking-code").strip()
    context.close()

    round_ = CheckIn.objects.get()
    assert round_.night == night and round_.attendees == ["Budi Contoh", "Pak RT Contoh"]
    assert not round_.all_quiet
    report = Report.objects.get(tracking_code=code)
    assert report.channel == Channel.SISKAMLING
    link = PostReport.objects.get()
    assert link.report == report and link.post == post and link.checkin == round_
