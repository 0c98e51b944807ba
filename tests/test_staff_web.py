"""Staff web pages: login and lockout, inbox, detail, triage actions, audit, per persona."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kamtibmas.accounts.models import AuditEvent, LoginFailure
from kamtibmas.incidents.models import Incident
from kamtibmas.reports.models import EventKind, Report, ReportEvent, Status
from kamtibmas.reports.workflow import transition
from tests.conftest import CANARY_NAME, CANARY_PHONE, UTARA_KELURAHAN, png_bytes

PASSWORD = "correct-horse-battery"


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def detail(report: Report) -> str:
    return reverse("reports:detail", args=[report.tracking_code])


def action(report: Report, name: str) -> str:
    return reverse("reports:action", args=[report.tracking_code, name])


def post_transition(client: Client, report: Report, to: str, **data: Any) -> Any:
    payload = {"to": to, "version": report.version, **data}
    return client.post(action(report, "transition"), payload)


# ---- access matrix -----------------------------------------------------------------------


def staff_urls(report: Report) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, data) of every staff URL that concerns one report."""
    photo = report.photos.first()
    assert photo is not None
    code = report.tracking_code
    return [
        ("get", detail(report), {}),
        ("get", reverse("reports:staff_photo", args=[code, photo.pk]), {}),
        ("post", reverse("reports:reveal_reporter", args=[code]), {"purpose": "Call back"}),
        (
            "post",
            action(report, "note"),
            {"text": "Checked.", "visibility": "internal", "version": report.version},
        ),
    ]


@pytest.fixture
def photo_report(make_report: Any) -> Report:
    report: Report = make_report(photos=[("a.png", io.BytesIO(png_bytes()))])
    return report


def test_it_serves_report_pages_only_to_the_owning_polsek(
    photo_report: Report, officer_selatan: Any, officer_utara: Any, resident: Any
) -> None:
    for method, url, data in staff_urls(photo_report):
        owner = getattr(client_for(officer_selatan), method)(url, data)
        assert owner.status_code in (200, 302), url
        assert getattr(client_for(officer_utara), method)(url, data).status_code == 404, url
        assert getattr(client_for(resident), method)(url, data).status_code == 403, url
        anonymous = getattr(client_for(None), method)(url, data)
        assert anonymous.status_code == 302, url
        assert anonymous["Location"].startswith(reverse("accounts:login")), url


def test_it_serves_the_inbox_to_officers_only(
    photo_report: Report, officer_selatan: Any, officer_utara: Any, resident: Any
) -> None:
    for name in ("reports:inbox", "reports:inbox_map"):
        url = reverse(name)
        assert client_for(officer_selatan).get(url).status_code == 200
        assert client_for(officer_utara).get(url).status_code == 200
        assert client_for(resident).get(url).status_code == 403
        assert client_for(None).get(url)["Location"].startswith(reverse("accounts:login"))
    code = photo_report.tracking_code
    assert code in client_for(officer_selatan).get(reverse("reports:inbox")).content.decode()
    assert code not in client_for(officer_utara).get(reverse("reports:inbox")).content.decode()
    features = client_for(officer_utara).get(reverse("reports:inbox_map")).json()["features"]
    assert features == []


def test_it_opens_the_audit_log_to_commanders(
    commander_polres: Any, officer_selatan: Any, resident: Any
) -> None:
    url = reverse("accounts:audit_log")
    assert client_for(commander_polres).get(url).status_code == 200
    assert client_for(officer_selatan).get(url).status_code == 403
    assert client_for(resident).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


def test_it_serves_photos_only_through_the_checked_view(
    photo_report: Report, officer_selatan: Any
) -> None:
    photo = photo_report.photos.get()
    response = client_for(officer_selatan).get(
        reverse("reports:staff_photo", args=[photo_report.tracking_code, photo.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]


# ---- login -------------------------------------------------------------------------------


def test_it_logs_an_officer_in_and_out(officer_selatan: Any) -> None:
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "desk.selatan", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:inbox")
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("reports:inbox")).status_code == 302


def test_it_locks_out_after_repeated_failures(officer_selatan: Any, settings: Any) -> None:
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    client = Client()
    for _attempt in range(3):
        client.post(reverse("accounts:login"), {"username": "desk.selatan", "password": "x"})
    response = client.post(
        reverse("accounts:login"), {"username": "desk.selatan", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "15" in text and ("menit" in text or "minutes" in text)
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    response = client.post(
        reverse("accounts:login"), {"username": "desk.selatan", "password": PASSWORD}
    )
    assert response.status_code == 302


# ---- inbox -------------------------------------------------------------------------------


def test_it_filters_searches_and_counts_the_inbox(make_report: Any, commander_polres: Any) -> None:
    theft = make_report(category_code="theft", description="Dompet hilang di pasar malam.")
    make_report(kelurahan_at=UTARA_KELURAHAN)
    client = client_for(commander_polres)
    url = reverse("reports:inbox")
    page = client.get(url, {"q": "pasar malam"}).content.decode()
    assert theft.tracking_code in page
    by_code = client.get(url, {"q": theft.tracking_code.lower().replace("-", "")})
    assert theft.tracking_code in by_code.content.decode()
    utara = client.get(url, {"kelurahan": UTARA_KELURAHAN, "sort": "due"}).context["page"]
    assert [r.kelurahan_code for r in utara] == [UTARA_KELURAHAN]
    counts = dict((s, n) for s, _label, n in client.get(url).context["counts"])
    assert counts[Status.RECEIVED] == 2


def test_it_ignores_invalid_filters_with_a_notice(make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    response = client_for(officer_selatan).get(
        reverse("reports:inbox"),
        {"status": "nonsense", "age": "abc", "unit": "999999", "page": "x", "sort": "bad"},
    )
    assert response.status_code == 200
    assert report.tracking_code in response.content.decode()
    notices = [str(m) for m in response.context["messages"]]
    assert len(notices) == 4


def test_it_shows_only_overdue_reports_when_asked(make_report: Any, officer_selatan: Any) -> None:
    late = make_report()
    Report.objects.filter(pk=late.pk).update(ack_due_at=timezone.now() - timedelta(hours=1))
    fresh = make_report()
    page = client_for(officer_selatan).get(reverse("reports:inbox"), {"overdue": "on"})
    codes = [r.tracking_code for r in page.context["page"]]
    assert codes == [late.tracking_code]
    assert fresh.tracking_code not in codes
    assert 'class="overdue"' in page.content.decode()


def test_it_maps_the_filtered_set_without_personal_data(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    data = (
        client_for(officer_selatan).get(reverse("reports:inbox_map"), {"status": "received"}).json()
    )
    assert [f["properties"]["code"] for f in data["features"]] == [report.tracking_code]
    assert CANARY_NAME not in str(data) and CANARY_PHONE not in str(data)


# ---- detail, reporter --------------------------------------------------------------------


def test_it_hides_the_reporter_until_revealed_with_a_purpose(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    assert CANARY_NAME not in client.get(detail(report)).content.decode()
    url = reverse("reports:reveal_reporter", args=[report.tracking_code])
    refused = client.post(url, {"purpose": ""})
    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(action="view_reporter").exists()
    response = client.post(url, {"purpose": "Call back about the motorbike"})
    assert CANARY_NAME in response.content.decode()
    event = AuditEvent.objects.get(action="view_reporter")
    assert event.actor == officer_selatan
    assert event.object_id == str(report.pk)
    assert event.purpose == "Call back about the motorbike"
    assert "Call back about the motorbike" in client.get(detail(report)).content.decode()


def test_it_shows_anonymous_reporter_to_the_desk(make_report: Any, officer_selatan: Any) -> None:
    report = make_report(keep_anonymous=True)
    client = client_for(officer_selatan)
    page = client.get(detail(report)).content.decode()
    assert CANARY_NAME not in page
    assert "Anonymous reporter" in page or "Pelapor anonim" in page
    url = reverse("reports:reveal_reporter", args=[report.tracking_code])
    assert client.post(url, {"purpose": "Curious about it"}).status_code == 403


# ---- actions -----------------------------------------------------------------------------


def test_it_verifies_a_report_and_writes_the_timeline(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    response = post_transition(client_for(officer_selatan), report, Status.VERIFIED)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == Status.VERIFIED
    event = report.events.get(kind=EventKind.STATUS)
    assert (event.old_value, event.new_value, event.actor) == (
        "received",
        "verified",
        officer_selatan,
    )


def test_it_refuses_a_transition_the_workflow_does_not_allow(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    response = post_transition(client_for(officer_selatan), report, Status.RESOLVED, reason="Done")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.RECEIVED


def test_it_refuses_to_reject_without_a_reason(make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    response = post_transition(client_for(officer_selatan), report, Status.REJECTED, reason="  ")
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.status == Status.RECEIVED
    assert not report.events.filter(kind=EventKind.STATUS).exists()


def test_it_assigns_to_a_unit_and_officer(make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    post_transition(client, report, Status.VERIFIED)
    report.refresh_from_db()
    unit = officer_selatan.unit
    response = post_transition(
        client, report, Status.ASSIGNED, unit=unit.pk, assignee=officer_selatan.pk
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.assignee) == (Status.ASSIGNED, officer_selatan)


def test_it_refuses_a_stale_change_and_keeps_the_typed_text(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    stale_version = report.version
    transition(report, Status.VERIFIED, officer_selatan)
    before = ReportEvent.objects.count()
    response = client_for(officer_selatan).post(
        action(report, "note"),
        {"text": "Saksi sudah dihubungi.", "visibility": "internal", "version": stale_version},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Saksi sudah dihubungi." in page
    assert ReportEvent.objects.count() == before


def test_it_keeps_internal_notes_off_the_public_status_page(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    client.post(
        action(report, "note"),
        {
            "text": "Rahasia: informan di warung.",
            "visibility": "internal",
            "version": report.version,
        },
    )
    report.refresh_from_db()
    client.post(
        action(report, "note"),
        {"text": "Petugas sudah ke lokasi.", "visibility": "public", "version": report.version},
    )
    kinds = list(report.events.values_list("kind", "is_public"))
    assert (EventKind.INTERNAL_NOTE, False) in kinds and (EventKind.PUBLIC_NOTE, True) in kinds
    staff_page = client.get(detail(report)).content.decode()
    assert "Rahasia: informan di warung." in staff_page
    try:
        track_url = reverse("reports:track", args=[report.tracking_code])
    except NoReverseMatch:
        pytest.skip("the public status page is not there yet")
    public = Client().get(track_url).content.decode()
    assert "Rahasia: informan di warung." not in public


def test_it_edits_fields_and_audits_old_and_new(make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    page = client.get(detail(report))
    initial: dict[str, Any] = page.context["edit_form"].initial
    data: dict[str, Any] = {k: ("" if v is None else v) for k, v in initial.items()}
    data.update(
        category=data["category"].pk,
        kelurahan=data["kelurahan"].pk,
        assigned_unit=data["assigned_unit"].pk,
        assignee="",
        occurred_from=data["occurred_from"].strftime("%Y-%m-%dT%H:%M"),
        address_text="Jl. Marsma Iswahyudi, depan warung",
    )
    response = client.post(action(report, "edit"), data)
    assert response.status_code == 302
    event = report.events.get(kind=EventKind.FIELD)
    assert (event.field, event.old_value, event.new_value) == (
        "address_text",
        "",
        "Jl. Marsma Iswahyudi, depan warung",
    )
    assert event.actor == officer_selatan


def test_it_lets_a_bhabin_add_notes_but_not_change_status(
    make_report: Any, bhabin_selatan: Any
) -> None:
    report = make_report()
    client = client_for(bhabin_selatan)
    assert post_transition(client, report, Status.VERIFIED).status_code == 403
    note = client.post(
        action(report, "note"),
        {"text": "Warga sudah ditemui.", "visibility": "internal", "version": report.version},
    )
    assert note.status_code == 302


# ---- duplicates and incidents -------------------------------------------------------------


def test_it_hints_and_merges_a_duplicate(make_report: Any, officer_selatan: Any) -> None:
    original = make_report()
    copy = make_report(description="Motor saya dicuri di depan warung tadi.")
    far_away = make_report(kelurahan_at="64.71.05.1012")
    client = client_for(officer_selatan)
    hints = client.get(detail(copy)).context["hints"]
    assert [h.report.tracking_code for h in hints] == [original.tracking_code]
    assert far_away.tracking_code not in {h.report.tracking_code for h in hints}
    response = client.post(
        action(copy, "merge"), {"original": original.tracking_code, "version": copy.version}
    )
    assert response.status_code == 302
    copy.refresh_from_db()
    assert (copy.status, copy.duplicate_of) == (Status.DUPLICATE, original)
    assert original.events.filter(kind=EventKind.MERGED).exists()


def test_it_does_not_hint_reports_far_apart_in_time(make_report: Any, officer_selatan: Any) -> None:
    make_report(occurred_from=timezone.now() - timedelta(days=5))
    recent = make_report()
    assert client_for(officer_selatan).get(detail(recent)).context["hints"] == []


def test_it_creates_an_incident_once_for_a_verified_crime(
    make_report: Any, officer_selatan: Any
) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    early = client.post(action(report, "incident"))
    assert early.status_code == 400
    assert not Incident.objects.exists()
    transition(report, Status.VERIFIED, officer_selatan)
    assert client.post(action(report, "incident")).status_code == 302
    incident = Incident.objects.get()
    assert (incident.category, incident.source_report, incident.unit) == (
        "curanmor",
        report,
        report.assigned_unit,
    )
    assert incident.kelurahan_code == report.kelurahan_code
    assert CANARY_NAME not in incident.description
    assert report.events.filter(kind=EventKind.INCIDENT).count() == 1
    again = client.post(action(report, "incident"))
    assert again.status_code == 400
    assert Incident.objects.count() == 1


def test_it_refuses_an_incident_for_a_complaint(make_report: Any, commander_polres: Any) -> None:
    report = make_report(kind="complaint", category_code="noise")
    transition(report, Status.VERIFIED, commander_polres)
    response = client_for(commander_polres).post(action(report, "incident"))
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_it_lists_changes_in_the_global_audit_log(
    make_report: Any, officer_selatan: Any, commander_polres: Any
) -> None:
    report = make_report()
    transition(report, Status.VERIFIED, officer_selatan)
    client = client_for(commander_polres)
    rows = client.get(reverse("accounts:audit_log"), {"user": "desk.selatan"}).context["rows"]
    assert [r.report_code for r in rows] == [report.tracking_code]
    empty = client.get(reverse("accounts:audit_log"), {"user": "nobody", "date_from": "not-a-date"})
    assert empty.status_code == 200 and empty.context["rows"] == []


def test_it_shows_a_bhabin_only_reports_of_their_kelurahan(
    make_report: Any, bhabin_selatan: Any
) -> None:
    mine = make_report()
    elsewhere = make_report(kelurahan_at="64.71.05.1006")
    client = client_for(bhabin_selatan)
    assert client.get(detail(mine)).status_code == 200
    assert client.get(detail(elsewhere)).status_code == 404


def test_it_shows_a_polres_commander_every_report(make_report: Any, commander_polres: Any) -> None:
    client = client_for(commander_polres)
    for report in (make_report(), make_report(kelurahan_at=UTARA_KELURAHAN)):
        assert client.get(detail(report)).status_code == 200


# ---- admin -------------------------------------------------------------------------------


def test_it_keeps_the_audit_trail_read_only_in_the_admin(
    make_report: Any, officer_selatan: Any, admin_user: Any
) -> None:
    from kamtibmas.accounts.models import ApiKey

    report = make_report()
    transition(report, Status.VERIFIED, officer_selatan)
    key, raw = ApiKey.issue(officer_selatan, "laptop")
    client = client_for(admin_user)
    for model in (
        "reports/report",
        "reports/reportevent",
        "accounts/auditevent",
        "accounts/apikey",
        "accounts/user",
        "reports/category",
        "reports/routingrule",
    ):
        assert client.get(f"/admin/{model}/").status_code == 200, model
    event = report.events.first()
    assert event is not None
    assert client.get(f"/admin/reports/reportevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/reports/reportevent/add/").status_code == 403
    assert client.get(f"/admin/reports/report/{report.pk}/delete/").status_code == 403
    page = client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()
    assert CANARY_NAME not in page
    key_page = client.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()
    assert key.key_hash not in key_page and raw not in key_page


def test_it_marks_a_duplicate_by_tracking_code(make_report: Any, officer_selatan: Any) -> None:
    original = make_report()
    copy = make_report()
    client = client_for(officer_selatan)
    unknown = post_transition(client, copy, Status.DUPLICATE, duplicate_of="KKKK-KKK-KKK")
    assert unknown.status_code == 400
    assert "KKKK-KKK-KKK" in unknown.content.decode()
    code = original.tracking_code.lower().replace("-", " ")
    assert post_transition(client, copy, Status.DUPLICATE, duplicate_of=code).status_code == 302
    copy.refresh_from_db()
    assert copy.duplicate_of == original
    assert original.events.filter(kind=EventKind.MERGED, old_value=copy.tracking_code).exists()


def test_it_survives_garbage_in_every_form(make_report: Any, officer_selatan: Any) -> None:
    report = make_report()
    client = client_for(officer_selatan)
    for name in ("transition", "note", "edit", "merge", "incident"):
        response = client.post(
            action(report, name),
            {"version": "abc", "to": "nope", "lat": "north", "original": "x" * 50},
        )
        assert response.status_code in (302, 400), name
    assert client.post(action(report, "unknown")).status_code == 404
    report.refresh_from_db()
    assert report.status == Status.RECEIVED and report.version == 1
