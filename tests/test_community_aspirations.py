"""Topics heard at a community event: filing into the report workflow, the staff and public
template tags, and the follow-up that reaches the event's attendees."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.community import aspirations, followup
from kamtibmas.community.models import (
    Aspiration,
    Event,
    FollowUpNotice,
    Programme,
    ProgrammeKind,
    Registration,
)
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.reports import workflow
from kamtibmas.reports.models import Channel, Report, ReportEvent, Status
from tests.conftest import (
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    SELATAN_KELURAHAN,
    UTARA_KELURAHAN,
    make_user,
    point_in,
)

SELATAN = "polsek-balikpapan-selatan"


# ---- factories (also used by tests/test_community_outcome.py) ------------------------------


def make_programme(unit_code: str = SELATAN, **extra: Any) -> Programme:
    values: dict[str, Any] = {"name": "Jumat Curhat Sepinggan", "kind": ProgrammeKind.DIALOGUE}
    values.update(extra)
    return Programme.objects.create(organising_unit=Unit.objects.get(code=unit_code), **values)


def make_event(
    programme: Programme,
    *,
    starts_at: datetime | None = None,
    status: str = Event.Status.HELD,
    kelurahan_code: str = SELATAN_KELURAHAN,
    **extra: Any,
) -> Event:
    start = starts_at or timezone.now() - timedelta(days=2)
    lat, lon = point_in(kelurahan_code)
    values: dict[str, Any] = {
        "title": "Jumat Curhat di Balai Kelurahan",
        "place_name": "Balai Kelurahan Sepinggan Baru",
        "lat": lat,
        "lon": lon,
        "kelurahan": Kelurahan.objects.get(code=kelurahan_code),
    }
    values.update(extra)
    return Event.objects.create(
        programme=programme, starts_at=start, ends_at=start + timedelta(hours=2), status=status,
        **values,
    )  # fmt: skip


def row(index: int, **values: str) -> dict[str, str]:
    return {f"row{index}-{key}": value for key, value in values.items()}


def post_data(*rows: dict[str, str], batch: str = "batch-0001") -> dict[str, str]:
    data = {"batch": batch}
    for extra in rows:
        data.update(extra)
    return data


LIGHTING = {
    "topic": "aspiration:lighting",
    "kelurahan": SELATAN_KELURAHAN,
    "description": "Lampu jalan di gang Melati mati sejak sebulan, warga takut lewat malam.",
}


def file_one(event: Event, by: Any, **overrides: str) -> Aspiration:
    values = {**LIGHTING, **overrides}
    item = aspirations.AspirationItem(
        kind=values["topic"].split(":")[0],
        category_code=values["topic"].split(":")[1],
        kelurahan_code=values["kelurahan"],
        description=values["description"],
        raised_by=values.get("raised_by", ""),
    )
    return aspirations.file_all(event, [item], by, batch_key=values.get("batch", "k1"))[0]


@pytest.fixture
def programme(db: Any) -> Programme:
    return make_programme()


@pytest.fixture
def event(programme: Programme) -> Event:
    return make_event(programme)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create_url(event: Event) -> str:
    return reverse("community:aspiration_create", args=[event.pk])


# ---- recording -----------------------------------------------------------------------------


def test_it_files_an_aspiration_as_an_event_report_routed_by_place(
    event: Event, bhabin_selatan: Any
) -> None:
    response = client_for(bhabin_selatan).post(
        create_url(event), post_data(row(0, **LIGHTING, raised_by="Pak RT", consent="on"))
    )
    assert response.status_code == 302
    aspiration = Aspiration.objects.get(event=event)
    report = aspiration.report
    assert report.channel == Channel.EVENT
    assert (report.kind, report.category.code) == ("aspiration", "lighting")
    assert report.kelurahan_code == SELATAN_KELURAHAN
    assert report.assigned_unit.code == SELATAN
    assert report.status == Status.RECEIVED and report.ack_due_at is not None
    assert (report.lat, report.lon) == (event.lat, event.lon)
    assert report.reporter_name == "" and report.reporter_phone == ""
    assert aspiration.raised_by == "Pak RT" and aspiration.created_by == bhabin_selatan
    assert report.events.filter(kind="created").exists()
    audit = AuditEvent.objects.get(action="aspiration.create")
    assert audit.actor == bhabin_selatan and audit.object_id == str(aspiration.pk)
    assert "Pak RT" not in str(audit.detail)


def test_it_files_several_topics_at_once_and_skips_blank_rows(
    event: Event, bhabin_selatan: Any
) -> None:
    complaint = {
        "topic": "complaint:noise",
        "kelurahan": UTARA_KELURAHAN,
        "description": "Balapan liar setiap malam minggu di jalan utama, sangat bising.",
    }
    data = post_data(row(0, **LIGHTING), row(2, **complaint), row(1, kelurahan=SELATAN_KELURAHAN))
    response = client_for(bhabin_selatan).post(create_url(event), data)
    assert response.status_code == 302
    reports = Report.objects.filter(channel=Channel.EVENT).order_by("pk")
    assert [r.category.code for r in reports] == ["lighting", "noise"]
    utara = reports[1]
    assert utara.kelurahan_code == UTARA_KELURAHAN
    assert utara.lat is None  # the event's pin is not where the topic is about
    assert utara.assigned_unit.code == "polsek-balikpapan-utara"


def test_a_resent_form_files_nothing_twice(event: Event, bhabin_selatan: Any) -> None:
    client = client_for(bhabin_selatan)
    data = post_data(row(0, **LIGHTING), batch="same-batch-123")
    assert client.post(create_url(event), data).status_code == 302
    assert client.post(create_url(event), data).status_code == 302
    assert Aspiration.objects.count() == 1 and Report.objects.count() == 1


def test_a_tip_about_drugs_goes_to_sat_resnarkoba(event: Event, bhabin_selatan: Any) -> None:
    tip = {**LIGHTING, "topic": "tip:narcotics", "description": "Ada transaksi sabu di kos X."}
    client_for(bhabin_selatan).post(create_url(event), post_data(row(0, **tip)))
    assert Report.objects.get().assigned_unit.code == "sat-resnarkoba"


def test_the_form_offers_grouped_topics_and_the_events_kelurahan(
    event: Event, bhabin_selatan: Any
) -> None:
    response = client_for(bhabin_selatan).get(create_url(event))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<optgroup" in html and 'value="tip:narcotics"' in html
    assert 'value="crime:curanmor"' not in html
    assert f'<option value="{SELATAN_KELURAHAN}" selected>' in html


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({**LIGHTING, "description": "pendek"}, "10"),
        ({**LIGHTING, "topic": ""}, "topik"),
        ({**LIGHTING, "topic": "crime:curanmor"}, "curanmor"),
        ({**LIGHTING, "kelurahan": "99.99"}, "99.99"),
        ({**LIGHTING, "raised_by": "Bu Ani"}, "setuju"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_the_values_kept(
    event: Event, bhabin_selatan: Any, values: dict[str, str], message: str
) -> None:
    typed = "Keluhan kedua yang diketik dengan teliti oleh petugas."
    second = {**LIGHTING, "description": typed}
    data = post_data(row(0, **values), row(1, **second))
    response = client_for(bhabin_selatan).post(create_url(event), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert Report.objects.count() == 0 and Aspiration.objects.count() == 0
    assert typed in html  # nothing already entered is lost
    assert "Tidak ada yang diajukan" in html
    assert message.lower() in html.lower()


def test_an_empty_form_asks_for_one_topic(event: Event, bhabin_selatan: Any) -> None:
    data = post_data(row(0, kelurahan=SELATAN_KELURAHAN))
    response = client_for(bhabin_selatan).post(create_url(event), data)
    assert response.status_code == 400
    assert "Tuliskan paling sedikit satu topik" in response.content.decode()


def test_a_crime_report_cannot_be_filed_as_an_event_topic(
    event: Event, bhabin_selatan: Any
) -> None:
    item = aspirations.AspirationItem("crime", "curanmor", SELATAN_KELURAHAN, "x" * 20)
    assert "kind" in aspirations.check(event, [item])[0]


@pytest.mark.parametrize(
    "change",
    [
        {"status": Event.Status.CANCELLED},
        {"status": Event.Status.PLANNED, "starts_at": timezone.now() + timedelta(days=3)},
    ],
)
def test_nothing_is_recorded_for_a_cancelled_or_future_event(
    programme: Programme, bhabin_selatan: Any, change: dict[str, Any]
) -> None:
    event = make_event(programme, **change)
    client = client_for(bhabin_selatan)
    assert client.get(create_url(event)).status_code == 200
    response = client.post(create_url(event), post_data(row(0, **LIGHTING)))
    assert response.status_code == 400
    assert Report.objects.count() == 0


def test_who_may_record_topics(
    event: Event,
    bhabin_selatan: Any,
    officer_selatan: Any,
    officer_utara: Any,
    resident: Any,
) -> None:
    url = create_url(event)
    assert Client().get(url).status_code == 302
    assert client_for(resident).get(url).status_code == 403
    assert client_for(officer_selatan).get(url).status_code == 403  # sees, does not run events
    assert client_for(officer_utara).get(url).status_code == 404
    bhabin_utara = make_user("bhabin.utara", roles.COMMUNITY_OFFICER, "polsek-balikpapan-utara")
    assert client_for(bhabin_utara).post(url, post_data(row(0, **LIGHTING))).status_code == 404
    humas = make_user("humas.polres", roles.PUBLIC_RELATIONS, "polres-balikpapan")
    assert client_for(humas).get(url).status_code == 200
    assert client_for(bhabin_selatan).get(url).status_code == 200
    assert Report.objects.count() == 0


# ---- template tags -------------------------------------------------------------------------


def render_staff(event: Event, user: Any) -> str:
    template = Template("{% load community_aspirations %}{% event_aspirations_staff event user %}")
    return template.render(Context({"event": event, "user": user}))


def render_public(event: Event) -> str:
    template = Template("{% load community_aspirations %}{% event_aspirations_public event %}")
    return template.render(Context({"event": event}))


def test_staff_tag_lists_topics_with_status_deadline_and_links_by_scope(
    event: Event, bhabin_selatan: Any, officer_selatan: Any, commander_polres: Any
) -> None:
    mine = file_one(event, bhabin_selatan, raised_by=CANARY_NAME, batch="a")
    tip = file_one(
        event, bhabin_selatan, topic="tip:narcotics", description="Transaksi sabu.", batch="b"
    )
    Report.objects.filter(pk=mine.report_id).update(ack_due_at=timezone.now() - timedelta(hours=1))
    desk = render_staff(event, officer_selatan)
    assert reverse("reports:detail", args=[mine.report.tracking_code]) in desk
    assert tip.report.tracking_code in desk
    assert reverse("reports:detail", args=[tip.report.tracking_code]) not in desk
    assert "terlambat" in desk
    assert CANARY_NAME not in desk  # not an organiser: no name
    assert reverse("community:aspiration_create", args=[event.pk]) not in desk
    organiser = render_staff(event, bhabin_selatan)
    assert CANARY_NAME in organiser
    assert reverse("community:aspiration_create", args=[event.pk]) in organiser
    polres = render_staff(event, commander_polres)
    assert reverse("reports:detail", args=[tip.report.tracking_code]) in polres


def test_public_tag_shows_topics_and_public_follow_up_only(
    event: Event, bhabin_selatan: Any, commander_polres: Any
) -> None:
    description = f"Warga {CANARY_NAME} ({CANARY_PHONE}, {CANARY_EMAIL}) minta lampu."
    aspiration = file_one(event, bhabin_selatan, raised_by=CANARY_NAME, description=description)
    report = aspiration.report
    Report.objects.filter(pk=report.pk).update(
        reporter_name=CANARY_NAME, reporter_phone=CANARY_PHONE, reporter_email=CANARY_EMAIL
    )
    report.refresh_from_db()
    workflow.transition(report, Status.VERIFIED, commander_polres)
    workflow.add_note(report, commander_polres, "Rahasia: pemilik kos terlibat.", public=False)
    workflow.add_note(report, commander_polres, "Lampu dijadwalkan diganti PLN.", public=True)
    html = render_public(event)
    assert "Penerangan jalan" in html and "Sepinggan Baru" in html.replace("\n", " ")
    assert "Diverifikasi" in html
    assert "Lampu dijadwalkan diganti PLN." in html
    assert "Rahasia" not in html
    assert report.tracking_code not in html
    for canary in (CANARY_NAME, CANARY_PHONE, CANARY_EMAIL):
        assert canary not in html


def test_public_tag_is_empty_for_an_event_not_on_the_public_calendar(
    programme: Programme, bhabin_selatan: Any
) -> None:
    hidden = make_event(programme, is_public=False)
    file_one(hidden, bhabin_selatan)
    assert "Penerangan jalan" not in render_public(hidden)


# ---- follow-up to attendees ----------------------------------------------------------------


def register(event: Event, name: str, *, attended: bool = True, **contact: Any) -> Registration:
    return Registration.objects.create(
        event=event,
        name=name,
        attended_at=timezone.now() - timedelta(days=2) if attended else None,
        **contact,
    )


@pytest.fixture
def attendees(event: Event) -> dict[str, Registration]:
    return {
        "email": register(event, CANARY_NAME, email=CANARY_EMAIL, phone=CANARY_PHONE),
        "phone": register(event, "Budi", phone="+62 812 1111 2222"),
        "no_contact": register(event, "Citra"),
        "absent": register(event, "Dewi", attended=False, email="dewi@example.org"),
        "cancelled": register(event, "Eko", email="eko@example.org", cancelled_at=timezone.now()),
    }


def follow_up_messages() -> list[OutboundMessage]:
    ids = FollowUpNotice.objects.values_list("message_id", flat=True)
    return list(OutboundMessage.objects.filter(pk__in=ids).order_by("pk"))


def test_a_status_change_reaches_each_attendee_with_contact_once(
    event: Event,
    attendees: dict[str, Registration],
    bhabin_selatan: Any,
    commander_polres: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = file_one(event, bhabin_selatan).report
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(report, Status.VERIFIED, commander_polres)
    sent = follow_up_messages()
    assert [(m.channel, m.recipient) for m in sent] == [
        ("email", CANARY_EMAIL),
        ("whatsapp", "+62 812 1111 2222"),
    ]
    body = sent[0].body
    assert "Diverifikasi" in body and "Penerangan jalan" in body
    assert f"/kegiatan/{event.uid}/" in body
    assert CANARY_NAME not in body
    update = ReportEvent.objects.filter(report=report, kind="status").get()
    assert followup.notify_attendees(update.pk) == 0  # never twice
    assert len(follow_up_messages()) == 2


def test_a_public_note_is_sent_and_an_internal_note_is_not(
    event: Event,
    attendees: dict[str, Registration],
    bhabin_selatan: Any,
    commander_polres: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = file_one(event, bhabin_selatan).report
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_note(report, commander_polres, "Catatan internal saja.", public=False)
    assert follow_up_messages() == []
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_note(report, commander_polres, "Patroli ditambah tiap malam.", public=True)
    sent = follow_up_messages()
    assert len(sent) == 2 and "Patroli ditambah tiap malam." in sent[0].body


def test_filing_itself_sends_no_follow_up(
    event: Event,
    attendees: dict[str, Registration],
    bhabin_selatan: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        file_one(event, bhabin_selatan)
    assert follow_up_messages() == []


def test_no_follow_up_for_synthetic_data(
    event: Event,
    attendees: dict[str, Registration],
    bhabin_selatan: Any,
    commander_polres: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = file_one(event, bhabin_selatan).report
    Report.objects.filter(pk=report.pk).update(is_synthetic=True)
    report.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(report, Status.VERIFIED, commander_polres)
    assert follow_up_messages() == []


def test_no_follow_up_for_reports_from_other_channels(
    event: Event,
    attendees: dict[str, Registration],
    make_report: Any,
    commander_polres: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    report = make_report()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.transition(report, Status.VERIFIED, commander_polres)
    assert FollowUpNotice.objects.count() == 0


def test_the_staff_and_public_event_pages_show_the_topics(
    event: Event, bhabin_selatan: Any
) -> None:
    report = file_one(event, bhabin_selatan, raised_by=CANARY_NAME).report
    staff = client_for(bhabin_selatan).get(reverse("community:event_detail", args=[event.pk]))
    assert staff.status_code == 200
    assert report.tracking_code in staff.content.decode()
    assert create_url(event) in staff.content.decode()
    public = Client().get(reverse("events:detail", args=[event.uid]))
    html = public.content.decode()
    assert public.status_code == 200
    assert "Penerangan jalan" in html and "Yang disampaikan warga" in html
    assert CANARY_NAME not in html and report.tracking_code not in html


def test_public_tag_speaks_english_when_asked(
    event: Event, bhabin_selatan: Any, commander_polres: Any
) -> None:
    report = file_one(event, bhabin_selatan).report
    workflow.transition(report, Status.VERIFIED, commander_polres)
    with translation.override("en"):
        html = render_public(event)
    assert "What residents raised and the follow-up" in html
    assert "Street lighting" in html and "Verified" in html


# ---- in a real browser ---------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_bhabinkamtibmas_records_topics_after_a_dialogue_in_a_browser(
    browser: Any, live_server: Any, live_reference: None
) -> None:
    from tests.test_browser import _log_in

    base = live_server.url
    officer = make_user("bhabin.browser", roles.COMMUNITY_OFFICER, SELATAN)
    officer.kelurahan.add(Kelurahan.objects.get(code=SELATAN_KELURAHAN))
    event = make_event(make_programme())
    page = browser.new_page(locale="id-ID")
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page.set_default_timeout(15_000)
    _log_in(page, base, "bhabin.browser")
    page.goto(f"{base}{reverse('community:event_detail', args=[event.pk])}")
    page.get_by_role("link", name="Catat aspirasi dan pengaduan").click()

    first = page.locator("fieldset").nth(0)
    first.get_by_label("Topik", exact=True).select_option("aspiration:lighting")
    first.get_by_label("Yang disampaikan").fill("Lampu jalan di gang Melati mati sejak lama.")
    first.get_by_label("Disampaikan oleh (opsional)").fill("Pak RT")
    page.get_by_role("button", name="Ajukan topik").click()
    assert "Orangnya setuju namanya dicatat" in page.inner_text("main")
    assert page.locator("[role=alert]").count() == 1
    assert first.get_by_label("Yang disampaikan").input_value().startswith("Lampu jalan")
    first.get_by_label("Orangnya setuju namanya dicatat").check()
    page.get_by_role("button", name="Ajukan topik").click()

    page.wait_for_url(f"**{reverse('community:event_detail', args=[event.pk])}")
    report = Report.objects.get(channel=Channel.EVENT)
    assert "1 topik diajukan" in page.inner_text(".messages")
    assert report.tracking_code in page.inner_text("#aspirations")
    page.goto(f"{base}{reverse('events:detail', args=[event.uid])}")
    public = page.inner_text("main")
    assert "Penerangan jalan" in public and "Pak RT" not in public
