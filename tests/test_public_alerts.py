"""Public alerts: who may issue them, drafts and publishing, immutability with Update/Cancel,
the public pages, the Atom feed and the demo data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent, User
from kamtibmas.portal import alerts
from kamtibmas.portal.demo_alerts import load_demo_alerts
from kamtibmas.portal.models import PublicAlert
from tests.conftest import SELATAN_KELURAHAN, UTARA_KELURAHAN, make_user
from tests.portal_alerts_support import follow_up, issue, make_humas

pytestmark = pytest.mark.django_db


@pytest.fixture
def humas(db: Any) -> User:
    return make_humas()


STAFF = "/petugas/peringatan-publik/"
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: Any) -> dict[str, Any]:
    later = timezone.localtime() + timedelta(days=10)
    data = {
        "headline_id": "Waspada curanmor di Sepinggan Baru",
        "description_id": "Rangkaian pencurian sepeda motor.",
        "instruction_id": "Gunakan kunci ganda.",
        "headline_en": "",
        "description_en": "",
        "instruction_en": "",
        "offence_category": "curanmor",
        "severity": "Moderate",
        "urgency": "Expected",
        "certainty": "Likely",
        "kelurahan": [SELATAN_KELURAHAN],
        "effective_at": "",
        "expires_at": later.strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


# --- permissions ------------------------------------------------------------------------------


def test_only_public_relations_and_admin_may_issue(
    humas: Any, officer_selatan: Any, resident: Any, commander_polres: Any
) -> None:
    admin = make_user("admin.polres", roles.ADMIN, "polres-balikpapan")
    assert client_for(humas).get(f"{STAFF}baru/").status_code == 200
    assert client_for(admin).get(f"{STAFF}baru/").status_code == 200
    for user in (officer_selatan, resident, commander_polres):
        assert client_for(user).get(f"{STAFF}baru/").status_code == 403
        assert client_for(user).post(f"{STAFF}baru/", form_data()).status_code == 403
    assert not PublicAlert.objects.exists()
    assert Client().get(f"{STAFF}baru/").status_code == 302


def test_commanders_may_read_but_not_publish(humas: Any, commander_polres: Any) -> None:
    draft = issue(humas, publish=False)
    commander = client_for(commander_polres)
    assert commander.get(STAFF).status_code == 200
    assert commander.get(f"{STAFF}{draft.pk}/").status_code == 200
    assert commander.post(f"{STAFF}{draft.pk}/terbitkan/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == PublicAlert.Status.DRAFT


def test_desk_officer_cannot_publish_or_follow_up(humas: Any, officer_selatan: Any) -> None:
    draft = issue(humas, publish=False)
    published = issue(humas)
    desk = client_for(officer_selatan)
    assert desk.post(f"{STAFF}{draft.pk}/terbitkan/").status_code == 403
    assert desk.post(f"{STAFF}{published.pk}/tindak-lanjut/cancel/").status_code == 403
    assert PublicAlert.objects.count() == 2


# --- drafts, validation, audit ----------------------------------------------------------------


def test_humas_creates_a_draft_that_is_audited_and_not_public(humas: Any) -> None:
    response = client_for(humas).post(f"{STAFF}baru/", form_data())
    alert = PublicAlert.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{STAFF}{alert.pk}/"
    assert alert.status == PublicAlert.Status.DRAFT and alert.created_by == humas
    assert [k.code for k in alert.kelurahan.all()] == [SELATAN_KELURAHAN]
    event = AuditEvent.objects.get(action="public_alert.create")
    assert event.actor == humas and event.object_id == str(alert.pk)
    assert Client().get(f"/peringatan/{alert.uid}/").status_code == 404
    assert alert.headline_id not in Client().get("/peringatan/").content.decode()


def test_the_form_defaults_the_expiry_to_fourteen_days(humas: Any) -> None:
    response = client_for(humas).get(f"{STAFF}baru/")
    expected = (timezone.localtime() + timedelta(days=14)).strftime("%Y-%m-%dT")
    assert f'value="{expected}' in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"headline_id": ""}, "Isian ini wajib diisi"),
        ({"kelurahan": []}, "Isian ini wajib diisi"),
        ({"expires_at": ""}, "Isian ini wajib diisi"),
        ({"expires_at": "2020-01-01T10:00"}, "Waktu berakhir harus di masa depan"),
        ({"expires_at": "bukan tanggal"}, "Masukkan tanggal/waktu yang valid"),
        ({"effective_at": "2099-01-02T10:00", "expires_at": "2099-01-01T10:00"},
         "Waktu berakhir harus setelah waktu mulai"),
        ({"headline_en": "Thefts"}, "tulis judul dan uraian bahasa Inggris"),
        ({"kelurahan": ["99.99.99.9999"]}, "Masukkan pilihan yang valid"),
        ({"offence_category": "nonsense"}, "Masukkan pilihan yang valid"),
        ({"severity": "Apocalyptic"}, "Masukkan pilihan yang valid"),
    ],
)  # fmt: skip
def test_bad_input_is_explained_and_kept(
    humas: Any, overrides: dict[str, Any], message: str
) -> None:
    response = client_for(humas).post(f"{STAFF}baru/", form_data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "Rangkaian pencurian sepeda motor." in page  # what was typed stays
    assert not PublicAlert.objects.exists()


def test_a_draft_can_be_edited_until_published(humas: Any) -> None:
    draft = issue(humas, publish=False)
    client = client_for(humas)
    data = form_data(headline_id="Judul baru", kelurahan=[SELATAN_KELURAHAN, UTARA_KELURAHAN])
    assert client.post(f"{STAFF}{draft.pk}/ubah/", data).status_code == 302
    draft.refresh_from_db()
    assert draft.headline_id == "Judul baru" and draft.kelurahan.count() == 2
    assert AuditEvent.objects.filter(action="public_alert.edit", object_id=str(draft.pk)).exists()


# --- publishing and immutability --------------------------------------------------------------


def test_publishing_sets_the_time_and_is_audited(humas: Any) -> None:
    draft = issue(humas, publish=False)
    response = client_for(humas).post(f"{STAFF}{draft.pk}/terbitkan/", follow=True)
    draft.refresh_from_db()
    assert draft.status == PublicAlert.Status.PUBLISHED
    assert draft.published_at is not None and draft.published_at.microsecond == 0
    assert "diterbitkan" in response.content.decode()
    assert AuditEvent.objects.filter(action="public_alert.publish", actor=humas).count() == 1
    assert Client().get(f"/peringatan/{draft.uid}/").status_code == 200


def test_a_published_alert_cannot_be_changed(humas: Any) -> None:
    alert = issue(humas)
    client = client_for(humas)
    response = client.post(f"{STAFF}{alert.pk}/ubah/", form_data(headline_id="Diubah"), follow=True)
    assert "tidak dapat diubah" in response.content.decode()
    alert.refresh_from_db()
    assert alert.headline_id == "Waspada curanmor di Sepinggan Baru"
    with pytest.raises(alerts.AlertLocked):
        alerts.save_draft(alert, {"headline_id": "x"}, [], humas)
    response = client.post(f"{STAFF}{alert.pk}/terbitkan/", follow=True)
    assert "sudah diterbitkan" in response.content.decode()


def test_an_expired_draft_is_not_published(humas: Any) -> None:
    draft = issue(humas, publish=False)
    PublicAlert.objects.filter(pk=draft.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    response = client_for(humas).post(f"{STAFF}{draft.pk}/terbitkan/", follow=True)
    assert "sudah kedaluwarsa" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == PublicAlert.Status.DRAFT


def test_an_update_references_and_replaces_the_original(humas: Any) -> None:
    original = issue(humas)
    client = client_for(humas)
    response = client.post(f"{STAFF}{original.pk}/tindak-lanjut/update/")
    update = PublicAlert.objects.get(references=original)
    assert response["Location"] == f"{STAFF}{update.pk}/ubah/"
    assert update.msg_type == "Update" and update.status == PublicAlert.Status.DRAFT
    assert update.headline_id == original.headline_id
    assert original in alerts.active_alerts()
    data = form_data(headline_id="Pembaruan", kelurahan=[SELATAN_KELURAHAN, UTARA_KELURAHAN])
    client.post(f"{STAFF}{update.pk}/ubah/", data)
    client.post(f"{STAFF}{update.pk}/terbitkan/")
    assert list(alerts.active_alerts()) == [PublicAlert.objects.get(pk=update.pk)]
    page = Client().get(f"/peringatan/{original.uid}/").content.decode()
    assert "digantikan" in page and f"/peringatan/{update.uid}/" in page
    # Only the latest message can be followed up.
    response = client.post(f"{STAFF}{original.pk}/tindak-lanjut/update/", follow=True)
    assert "sudah digantikan" in response.content.decode()
    assert PublicAlert.objects.count() == 2


def test_a_cancel_ends_the_alert(humas: Any) -> None:
    original = issue(humas)
    cancel = follow_up(humas, original, PublicAlert.MsgType.CANCEL)
    assert cancel.references == original and cancel.msg_type == "Cancel"
    assert not alerts.active_alerts().exists()
    with pytest.raises(alerts.AlertInvalid):
        alerts.start_follow_up(cancel, PublicAlert.MsgType.UPDATE, humas)
    response = client_for(humas).post(f"{STAFF}{original.pk}/tindak-lanjut/nonsense/", follow=True)
    assert response.status_code == 200 and PublicAlert.objects.count() == 2


def test_missing_objects_are_404(humas: Any) -> None:
    client = client_for(humas)
    assert client.get(f"{STAFF}999999/").status_code == 404
    assert client.post(f"{STAFF}999999/terbitkan/").status_code == 404
    assert Client().get("/peringatan/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert Client().get("/peringatan/not-a-uuid/").status_code == 404


# --- public pages -----------------------------------------------------------------------------


def test_the_public_list_shows_active_alerts_before_past_ones(humas: Any) -> None:
    past = issue(humas, headline_id="Peringatan lama")
    PublicAlert.objects.filter(pk=past.pk).update(expires_at=timezone.now() - timedelta(days=1))
    issue(humas, headline_id="Peringatan berlaku")
    issue(humas, publish=False, headline_id="Masih draf")
    page = Client().get("/peringatan/").content.decode()
    assert (
        page.index("Peringatan berlaku")
        < page.index("Peringatan sebelumnya")
        < page.index("Peringatan lama")
    )
    assert "Masih draf" not in page


def test_the_detail_page_speaks_indonesian_first_and_english_when_chosen(humas: Any) -> None:
    alert = issue(humas)
    client = Client()
    page = client.get(f"/peringatan/{alert.uid}/").content.decode()
    assert "Waspada curanmor di Sepinggan Baru" in page and "Sepinggan Baru" in page
    assert "WITA" in page and f"/peringatan/{alert.uid}/cap.xml" in page
    assert "Ancaman sedang" in page and "Bertindak dalam satu jam" in page
    assert f"/langganan/?kelurahan={SELATAN_KELURAHAN}" in page
    expires = timezone.localtime(alert.expires_at).strftime("%H:%M")
    assert expires in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/peringatan/{alert.uid}/").content.decode()
    assert "Motorbike thefts in Sepinggan Baru" in page and "Use a second lock." in page
    assert "Moderate threat" in page and "Act within the hour" in page
    translation.activate("id")


# --- Atom ---------------------------------------------------------------------------------------


def test_the_atom_feed_lists_recent_alerts_with_cap_links(humas: Any) -> None:
    alert = issue(humas)
    old = issue(humas, headline_id="Lama sekali")
    PublicAlert.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=45))
    issue(humas, publish=False, headline_id="Draf")
    response = Client().get("/alerts.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own output
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for tag in ("id", "title", "updated", "author/a:name"):
        assert feed.findtext(f"a:{tag}", namespaces=ATOM)
    self_link = feed.find("a:link[@rel='self']", ATOM)
    assert self_link is not None and self_link.get("href", "").endswith("/alerts.atom")
    entries = feed.findall("a:entry", ATOM)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.findtext("a:id", namespaces=ATOM) == f"urn:uuid:{alert.uid}"
    assert entry.findtext("a:title", namespaces=ATOM) == alert.headline_id
    assert entry.findtext("a:published", namespaces=ATOM, default="").endswith("+08:00")
    links = {link.get("type"): link.get("href") for link in entry.findall("a:link", ATOM)}
    assert all(link.get("rel") == "alternate" for link in entry.findall("a:link", ATOM))
    assert str(links["application/cap+xml"]).endswith(f"/peringatan/{alert.uid}/cap.xml")
    assert str(links["text/html"]).endswith(f"/peringatan/{alert.uid}/")


def test_an_empty_feed_is_still_valid_atom(db: Any) -> None:
    feed = ET.fromstring(Client().get("/alerts.atom").content)  # noqa: S314
    assert feed.findtext("a:updated", namespaces=ATOM)
    assert feed.findall("a:entry", ATOM) == []


# --- demo ---------------------------------------------------------------------------------------


def test_demo_alerts_fill_the_pages_once(db: Any) -> None:
    now = timezone.now()
    assert load_demo_alerts(now) == 4
    first = sorted(PublicAlert.objects.values_list("uid", "published_at", "expires_at"))
    PublicAlert.objects.filter(references__isnull=False).delete()
    PublicAlert.objects.all().delete()
    assert load_demo_alerts(now) == 4
    assert sorted(PublicAlert.objects.values_list("uid", "published_at", "expires_at")) == first
    assert load_demo_alerts() == 0
    demo = PublicAlert.objects.all()
    assert demo.count() == 4 and all(a.is_synthetic for a in demo)
    active = list(alerts.active_alerts())
    assert any(a.msg_type == "Update" and a.references_id for a in active)
    assert any(a.expires_at < timezone.now() for a in demo)  # type: ignore[operator]
    page = Client().get("/peringatan/").content.decode()
    assert "Sepinggan Raya" in page and "Klandasan Ilir" in page
    feed = ET.fromstring(Client().get("/alerts.atom").content)  # noqa: S314 - our own output
    assert len(feed.findall("a:entry", ATOM)) >= 3
