"""What trying issue 6 as new users turned up, pinned: the Siskamling sub-navigation styled on
every Siskamling page, the dashboard's "Add a visit" opening the visit form, no internal key
shown to staff as the answer of a post's report, alert message types in Indonesian on staff
pages (CAP keeps its English codes), phone-width rules for long filters and facts, and Jumat
Curhat held on Fridays in the demo."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree

from kamtibmas import pdfstyle
from kamtibmas.community import outcome_export
from kamtibmas.community.demo import load_demo_programmes
from kamtibmas.community.demo_aspirations import load_demo_aspirations
from kamtibmas.community.models import Event, Programme
from kamtibmas.community.outcome import programme_outcome
from kamtibmas.portal import cap
from kamtibmas.portal.models import PublicAlert
from kamtibmas.reports.models import Report
from kamtibmas.siskamling import checkin
from tests.portal_alerts_support import follow_up, issue, make_humas
from tests.test_siskamling_posts import make_post

pytestmark = pytest.mark.django_db

WITA = checkin.WITA
NIGHT = datetime(2026, 3, 3, 3, 0, tzinfo=WITA)  # Tuesday 03:00: Monday's night
SISKAMLING_CSS = "css/siskamling.css"


def staff(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def css_rules(path: str) -> str:
    found = finders.find(path)
    assert found, path
    with open(str(found), encoding="utf-8") as handle:
        return re.sub(r"\s+", " ", handle.read())


# ---- Siskamling: every page styles its sub-navigation ----------------------------------------


@pytest.mark.parametrize("page", ["dasbor/", "kunjungan/", "pos/{pk}/jadwal/", "", "pos/{pk}/"])
def test_every_siskamling_staff_page_loads_the_siskamling_styles(
    bhabin_selatan: Any, page: str
) -> None:
    post = make_post(name="Pos Kamling Anggrek")
    response = staff(bhabin_selatan).get("/petugas/siskamling/" + page.format(pk=post.pk))
    text = response.content.decode()
    assert response.status_code == 200
    assert 'class="subnav siskamling-nav"' in text
    assert SISKAMLING_CSS in text


def test_the_dashboards_add_a_visit_opens_the_visit_form(bhabin_selatan: Any) -> None:
    client = staff(bhabin_selatan)
    dashboard = client.get("/petugas/siskamling/dasbor/").content.decode()
    assert 'href="/petugas/siskamling/kunjungan/?add=1#visit-add"' in dashboard
    opened = client.get("/petugas/siskamling/kunjungan/?add=1").content.decode()
    assert re.search(r'<details class="card" id="visit-add"\s+open>', opened)
    closed = client.get("/petugas/siskamling/kunjungan/").content.decode()
    assert re.search(r'<details class="card" id="visit-add"\s*>', closed)


def test_a_commander_without_a_visit_form_gets_the_plain_log_link(commander_polres: Any) -> None:
    dashboard = staff(commander_polres).get("/petugas/siskamling/dasbor/").content.decode()
    assert "?add=1" not in dashboard


# ---- a post's report: no internal key shown as an answer -------------------------------------


def test_a_report_from_a_post_shows_its_source_and_no_internal_key(officer_selatan: Any) -> None:
    post = make_post(name="Pos Kamling Anggrek")
    with time_machine.travel(NIGHT, tick=False):
        response = Client().post(
            f"/pos/{post.checkin_token}/lapor/",
            {
                "key": "fedcba9876543210fedcba9876543210",
                "category": "crime.curanmor",
                "description": "Dua orang mencoba membuka kunci motor di depan warung.",
                "occurred_at": "01:40",
            },
        )
    assert response.status_code == 200
    report = Report.objects.get()
    assert "siskamling_post" not in report.extra
    page = staff(officer_selatan).get(f"/petugas/laporan/{report.tracking_code}/")
    text = page.content.decode()
    assert "Pos Kamling Anggrek" in text  # the source line
    assert "siskamling_post" not in text


# ---- public alerts: message types in the user's language, CAP codes unchanged ----------------


def test_staff_alert_pages_name_the_message_type_in_indonesian() -> None:
    humas = make_humas()
    original = issue(humas)
    update = follow_up(humas, original, PublicAlert.MsgType.UPDATE)
    client = staff(humas)
    listing = client.get("/petugas/peringatan-publik/").content.decode()
    assert "<td>Peringatan</td>" in listing and "<td>Pembaruan</td>" in listing
    assert "<td>Alert</td>" not in listing and "<td>Update</td>" not in listing
    detail = client.get(f"/petugas/peringatan-publik/{update.pk}/").content.decode()
    assert "Pembaruan · " in detail and "Update · " not in detail
    with translation.override("en"):
        assert str(PublicAlert.MsgType.CANCEL.label) == "Cancel"
    with translation.override("id"):
        assert str(PublicAlert.MsgType.CANCEL.label) == "Pembatalan"


def test_cap_keeps_the_english_message_type_codes() -> None:
    humas = make_humas()
    update = follow_up(humas, issue(humas), PublicAlert.MsgType.UPDATE)
    with translation.override("id"):
        document = etree.fromstring(cap.build(update))
    ns = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert document.findtext("cap:msgType", namespaces=ns) == "Update"


# ---- phone width ------------------------------------------------------------------------------


def test_long_filters_and_facts_fit_a_phone() -> None:
    portal = css_rules("css/portal.css")
    assert ".filters select, .filters input { max-width: 100%; }" in portal
    assert ".filters .field { max-width: 100%; min-width: 0; }" in portal
    siskamling = css_rules(SISKAMLING_CSS)
    assert ".staff .facts { grid-template-columns: max-content minmax(0, 1fr); }" in siskamling
    assert ".table-wrap { position: relative; }" in siskamling
    assert ".page-checkin main { max-width: 36rem; margin: 0 auto; padding: 1rem" in siskamling


def test_staff_event_tables_scroll_inside_their_frame(officer_selatan: Any) -> None:
    load_demo_programmes(seed=7, now=datetime(2026, 11, 20, 10, 0, tzinfo=WITA))
    programme = Programme.objects.get(organising_unit__code="polsek-balikpapan-selatan")
    event = Event.objects.filter(programme=programme).first()
    assert event is not None
    client = staff(officer_selatan)
    for url in (
        "/petugas/kegiatan/",
        f"/petugas/kegiatan/program/{programme.pk}/",
        f"/petugas/kegiatan/acara/{event.pk}/",
    ):
        text = client.get(url).content.decode()
        tables = text.count("<table")
        assert tables and text.count('<div class="table-wrap') >= tables, url


# ---- demo: Jumat Curhat is on Fridays --------------------------------------------------------


def test_the_demo_holds_jumat_curhat_on_fridays_only() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=WITA)  # a Sunday
    load_demo_programmes(seed=7, now=now)
    curhat = Event.objects.filter(title__startswith="Jumat Curhat")
    assert curhat.count() == 7
    days = [e.starts_at.astimezone(WITA).date() for e in curhat]
    assert {d.weekday() for d in days} == {4}
    assert all(e.starts_at.astimezone(WITA).time() == time(8, 30) for e in curhat)
    held = curhat.filter(status=Event.Status.HELD)
    assert held.count() == 4 and all(e.starts_at < now for e in held)
    assert all(e.starts_at > now for e in curhat.filter(status=Event.Status.PLANNED))
    others = Event.objects.exclude(title__startswith="Jumat Curhat")
    assert {e.starts_at.astimezone(WITA).weekday() for e in others} - {4}  # other days too


def test_the_weekday_helper_moves_forward_only() -> None:
    from kamtibmas.community.demo import _on_weekday

    sunday = date(2026, 11, 29)
    assert _on_weekday(sunday, 4) == date(2026, 12, 4)
    assert _on_weekday(date(2026, 12, 4), 4) == date(2026, 12, 4)
    assert _on_weekday(sunday, None) == sunday


# ---- the printed roster says what it is in Indonesian ---------------------------------------


def test_the_roster_pdf_title_is_in_indonesian(bhabin_selatan: Any) -> None:
    post = make_post(name="Pos Kamling Anggrek")
    response = staff(bhabin_selatan).get(f"/petugas/siskamling/pos/{post.pk}/jadwal.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Jadwal ronda Siskamling Pos Kamling Anggrek" in body  # the document's title
    assert b"Siskamling roster" not in body


# ---- the outcome PDF: no word broken inside a column -----------------------------------------


def _fits(text: str, style: Any, width: float) -> bool:
    """Every word of ``text`` fits the column (ReportLab pads each cell by 6 pt a side)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    pdfstyle.register_fonts()
    return all(stringWidth(w, style.fontName, style.fontSize) <= width - 12 for w in text.split())


def test_the_outcome_pdf_columns_hold_statuses_headings_and_tracking_codes() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=WITA)
    load_demo_programmes(seed=7, now=now)
    load_demo_aspirations(seed=7, now=now)
    programme = Programme.objects.get(organising_unit__code="polsek-balikpapan-selatan")
    outcome = programme_outcome(programme, now=now)
    pdfstyle.register_fonts()
    with translation.override("id"):
        widths = outcome_export._events_table(outcome)[-1]._colWidths
        heads = [_("Date"), _("Event"), _("Status"), _("Registered"), _("Attended"), _("Topics")]
        assert all(_fits(h, outcome_export.HEAD, w) for h, w in zip(heads, widths, strict=True))
        statuses = [str(label) for _value, label in Event.Status.choices]
        assert all(_fits(s, outcome_export.CELL, widths[2]) for s in statuses)
        follow_ups = outcome_export._follow_up_table(outcome)[-1]
        codes = [line.report.tracking_code for line in outcome.topic_lines]
        assert codes and all(_fits(c, outcome_export.CELL, follow_ups._colWidths[0]) for c in codes)
        assert _fits("WWWW-WWW-WWW", outcome_export.CELL, follow_ups._colWidths[0])
        assert outcome_export.outcome_pdf(outcome).startswith(b"%PDF")


def test_an_alerts_buttons_sit_on_one_row() -> None:
    humas = make_humas()
    alert = issue(humas)
    page = staff(humas).get(f"/petugas/peringatan-publik/{alert.pk}/").content.decode()
    assert '<div class="actions alert-actions">' in page
    assert ".alert-actions form { border-top: 0; padding-top: 0; margin-top: 0; }" in page


# ---- subscriptions: the confirmation says what will come -------------------------------------


@pytest.mark.parametrize(
    ("unticked", "says"),
    [
        ((), "Anda akan menerima peringatan publik dan statistik kejahatan bulanan untuk:"),
        (("wants_monthly",), "Anda akan menerima peringatan publik untuk:"),
        (("wants_alerts",), "Anda akan menerima statistik kejahatan bulanan untuk:"),
    ],
)
def test_the_confirmed_page_says_what_the_resident_will_receive(
    unticked: tuple[str, ...], says: str
) -> None:
    from kamtibmas.notifications.models import OutboundMessage
    from tests.conftest import CANARY_EMAIL, SELATAN_KELURAHAN
    from tests.test_subscriptions import link_in

    data: dict[str, Any] = {
        "kelurahan": [SELATAN_KELURAHAN],
        "channel": "email",
        "recipient": CANARY_EMAIL,
        "consent": "on",
    }
    data.update({box: "on" for box in ("wants_alerts", "wants_monthly") if box not in unticked})
    assert Client().post("/langganan/", data).status_code == 302
    link = link_in(OutboundMessage.objects.get(), "konfirmasi")
    page = Client().post(link).content.decode()
    assert says in page and "Sepinggan Baru." in page
    assert 'href="/peringatan/"' in page
    assert "yang Anda pilih" not in page


# ---- staff forms: errors in red beside the field ---------------------------------------------


def test_programme_event_and_article_forms_mark_errors_in_red(bhabin_selatan: Any) -> None:
    load_demo_programmes(seed=7, now=datetime(2026, 11, 20, 10, 0, tzinfo=WITA))
    programme = Programme.objects.get(organising_unit__code="polsek-balikpapan-selatan")
    rule = ".form .errorlist { color: #b3261e;"
    client = staff(bhabin_selatan)
    event_form = client.post(f"/petugas/kegiatan/program/{programme.pk}/acara/baru/", {})
    assert event_form.status_code in (200, 400) and rule in event_form.content.decode()
    assert "errorlist" in event_form.content.decode()
    assert rule in client.get("/petugas/kegiatan/program/baru/").content.decode()
    article_form = staff(make_humas()).get("/petugas/konten/baru/").content.decode()
    assert rule in article_form
