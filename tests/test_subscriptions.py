"""Area subscriptions: double opt-in, nothing before confirmation, each alert once per address,
unsubscribe (GET shows a button, POST and RFC 8058 one-click act), monthly statistics once per
month, forgetting unconfirmed addresses, and no personal data in logs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from kamtibmas.accounts.models import AuditEvent, User
from kamtibmas.geo.models import Kelurahan
from kamtibmas.incidents.models import Incident
from kamtibmas.notifications.models import OutboundMessage
from kamtibmas.notifications.services import deliver_due
from kamtibmas.portal import subscriptions
from kamtibmas.portal.demo_alerts import load_demo_alerts
from kamtibmas.portal.models import AlertDelivery, PublicAlert, Subscription
from tests.conftest import CANARY_EMAIL, CANARY_PHONE, SELATAN_KELURAHAN, UTARA_KELURAHAN
from tests.portal_alerts_support import follow_up, issue, make_humas

pytestmark = pytest.mark.django_db


@pytest.fixture
def humas(db: Any) -> User:
    return make_humas()


WITA = ZoneInfo("Asia/Makassar")
OTHER_SELATAN = "64.71.05.1009"  # Sepinggan Raya


def post_subscribe(client: Client | None = None, **overrides: Any) -> Any:
    data: dict[str, Any] = {
        "kelurahan": [SELATAN_KELURAHAN],
        "channel": "email",
        "recipient": CANARY_EMAIL,
        "wants_alerts": "on",
        "wants_monthly": "on",
        "consent": "on",
    }
    data.update(overrides)
    return (client or Client()).post("/langganan/", data)


def link_in(message: OutboundMessage, kind: str) -> str:
    match = re.search(rf"https?://\S+(/langganan/{kind}/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def subscribed(**overrides: Any) -> list[Subscription]:
    """Subscribe and confirm through the pages, as a resident would."""
    assert post_subscribe(**overrides).status_code == 302
    confirmation = OutboundMessage.objects.order_by("pk").last()
    assert confirmation is not None
    Client().post(link_in(confirmation, "konfirmasi"))
    OutboundMessage.objects.all().delete()
    return list(Subscription.objects.filter(confirmed_at__isnull=False))


# --- subscribing ------------------------------------------------------------------------------


def test_the_form_preselects_the_kelurahan_of_the_link(db: Any) -> None:
    page = Client().get(f"/langganan/?kelurahan={SELATAN_KELURAHAN}").content.decode()
    assert re.search(rf'value="{re.escape(SELATAN_KELURAHAN)}"[^>]*checked', page)
    assert "UU No. 27/2022" in page


def test_subscribing_sends_a_confirmation_and_nothing_else(humas: Any) -> None:
    response = post_subscribe(kelurahan=[SELATAN_KELURAHAN, OTHER_SELATAN])
    assert response.status_code == 302 and response.url == "/langganan/terkirim/"
    rows = Subscription.objects.all()
    assert rows.count() == 2 and not any(r.confirmed_at for r in rows)
    message = OutboundMessage.objects.get()
    assert message.recipient == CANARY_EMAIL and message.channel == "email"
    assert "Sepinggan Baru" in message.body and "Sepinggan Raya" in message.body
    assert AuditEvent.objects.filter(action="subscription.request").count() == 2
    assert subscriptions.send_alert(issue(humas)) == 0
    assert OutboundMessage.objects.count() == 1


def test_confirming_takes_a_post_not_a_prefetch(db: Any) -> None:
    post_subscribe()
    link = link_in(OutboundMessage.objects.get(), "konfirmasi")
    response = Client().get(link)
    assert response.status_code == 200 and response["Referrer-Policy"] == "same-origin"
    assert not Subscription.objects.filter(confirmed_at__isnull=False).exists()
    page = Client().post(link).content.decode()
    assert "Langganan dikonfirmasi" in page
    assert Subscription.objects.get().confirmed_at is not None
    assert AuditEvent.objects.filter(action="subscription.confirm").count() == 1


def test_a_bad_or_expired_confirmation_link_is_a_clear_404(db: Any) -> None:
    assert Client().get("/langganan/konfirmasi/nonsense/").status_code == 404
    post_subscribe()
    link = link_in(OutboundMessage.objects.get(), "konfirmasi")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client().post(link)
    assert response.status_code == 404 and "Tautan tidak berlaku" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_subscribing_again_resends_the_confirmation_and_reveals_nothing(db: Any) -> None:
    subscribed()
    again = post_subscribe()
    other = post_subscribe(recipient="someone.else@example.org")
    assert again.url == other.url

    def page(url: str) -> str:
        return re.sub(
            r'name="csrfmiddlewaretoken" value="[^"]+"', "", Client().get(url).content.decode()
        )

    assert page(again.url) == page(other.url)
    assert Subscription.objects.filter(recipient=CANARY_EMAIL).count() == 1
    assert OutboundMessage.objects.filter(recipient=CANARY_EMAIL).count() == 1


def test_confirmations_to_one_address_are_limited(db: Any) -> None:
    for _ in range(5):
        assert post_subscribe().status_code == 302
    assert OutboundMessage.objects.count() == 3


def test_too_many_subscriptions_from_one_connection_are_refused(db: Any) -> None:
    client = Client()
    for n in range(10):
        assert post_subscribe(client, recipient=f"warga{n}@example.org").status_code == 302
    response = post_subscribe(client, recipient="warga11@example.org")
    assert response.status_code == 429 and "Retry-After" in response


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"recipient": "bukan-email"}, "Masukkan alamat e-mail yang valid."),
        ({"channel": "sms", "recipient": "12345"}, "Masukkan nomor ponsel Indonesia"),
        ({"kelurahan": []}, "Isian ini wajib diisi"),
        ({"kelurahan": ["99.99.99.9999"]}, "Masukkan pilihan yang valid"),
        ({"consent": ""}, "Isian ini wajib diisi"),
        ({"wants_alerts": "", "wants_monthly": ""}, "Pilih peringatan, statistik bulanan"),
        ({"channel": "pigeon"}, "Masukkan pilihan yang valid"),
    ],
)
def test_bad_input_is_explained_and_kept(db: Any, overrides: dict[str, Any], message: str) -> None:
    overrides.setdefault("recipient", "kept.value@example.org")
    response = post_subscribe(**overrides)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert overrides["recipient"] in page
    assert not Subscription.objects.exists() and not OutboundMessage.objects.exists()


def test_phone_numbers_are_normalised(db: Any) -> None:
    post_subscribe(channel="whatsapp", recipient="0812-3456-7890")
    assert Subscription.objects.get().recipient == "+6281234567890"
    assert OutboundMessage.objects.get().channel == "whatsapp"


# --- alerts to subscribers ----------------------------------------------------------------------


def test_publishing_queues_one_message_per_address(
    humas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    rows = subscribed(kelurahan=[SELATAN_KELURAHAN, OTHER_SELATAN])
    assert len(rows) == 2
    draft = issue(humas, publish=False, codes=(SELATAN_KELURAHAN, OTHER_SELATAN))
    client = Client()
    client.force_login(humas)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/petugas/peringatan-publik/{draft.pk}/terbitkan/")
    message = OutboundMessage.objects.get(recipient=CANARY_EMAIL)
    assert "PERINGATAN: Waspada curanmor di Sepinggan Baru" in message.body
    assert f"/peringatan/{draft.uid}/" in message.body
    assert "/langganan/berhenti/" in message.body
    assert AlertDelivery.objects.filter(alert=draft).count() == 2
    assert subscriptions.send_alert(PublicAlert.objects.get(pk=draft.pk)) == 0


def test_only_subscribers_of_the_area_who_want_alerts_receive_it(humas: Any) -> None:
    subscribed()
    subscribed(recipient="utara@example.org", kelurahan=[UTARA_KELURAHAN])
    subscribed(recipient="monthly.only@example.org", wants_alerts="")
    assert subscriptions.send_alert(issue(humas)) == 1
    assert list(OutboundMessage.objects.values_list("recipient", flat=True)) == [CANARY_EMAIL]


def test_sms_alerts_are_short_with_the_stop_link(humas: Any) -> None:
    subscribed(channel="sms", recipient=CANARY_PHONE)
    alert = issue(humas, headline_id="H" * 160)
    subscriptions.send_alert(alert)
    message = OutboundMessage.objects.get()
    assert message.recipient == "+6281100004242"
    assert len(message.body) <= subscriptions.SMS_LIMIT
    assert "Berhenti: http" in message.body


def test_updates_and_cancels_are_sent_too_but_demo_alerts_never(humas: Any) -> None:
    subscribed()
    original = issue(humas)
    subscriptions.send_alert(original)
    cancel = follow_up(humas, original, PublicAlert.MsgType.CANCEL)
    assert subscriptions.send_alert(cancel) == 1
    assert "DICABUT" in OutboundMessage.objects.order_by("pk").last().body  # type: ignore[union-attr]
    load_demo_alerts()
    for demo in PublicAlert.objects.filter(is_synthetic=True):
        assert subscriptions.send_alert(demo) == 0


# --- unsubscribing ------------------------------------------------------------------------------


def test_unsubscribe_get_shows_a_button_and_post_stops_everything(humas: Any) -> None:
    subscribed(kelurahan=[SELATAN_KELURAHAN, OTHER_SELATAN])
    subscriptions.send_alert(issue(humas))
    link = link_in(OutboundMessage.objects.get(), "berhenti")
    page = Client().get(link)
    assert page.status_code == 200 and "Sepinggan Raya" in page.content.decode()
    assert not Subscription.objects.filter(unsubscribed_at__isnull=False).exists()
    done = Client().post(link)
    assert done.status_code == 200 and "Langganan dihentikan" in done.content.decode()
    assert Subscription.objects.filter(unsubscribed_at__isnull=True).count() == 0
    assert AuditEvent.objects.filter(action="subscription.unsubscribe").count() == 2
    assert subscriptions.send_alert(issue(humas)) == 0


def test_one_click_unsubscribe_needs_no_csrf_token(db: Any) -> None:
    row = subscribed()[0]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/langganan/berhenti/{row.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.unsubscribed_at is not None


def test_an_unknown_unsubscribe_token_is_404(db: Any) -> None:
    assert Client().get("/langganan/berhenti/unknown-token/").status_code == 404
    assert Client().post("/langganan/berhenti/unknown-token/").status_code == 404


def test_resubscribing_after_unsubscribing_needs_a_new_confirmation(humas: Any) -> None:
    row = subscribed()[0]
    Client().post(f"/langganan/berhenti/{row.token}/")
    post_subscribe()
    row.refresh_from_db()
    assert row.confirmed_at is None and row.unsubscribed_at is None
    OutboundMessage.objects.all().delete()
    assert subscriptions.send_alert(issue(humas)) == 0


# --- forgetting ---------------------------------------------------------------------------------


def test_unconfirmed_and_old_unsubscribed_addresses_are_forgotten(db: Any) -> None:
    kept = subscribed()[0]
    post_subscribe(recipient="never.confirmed@example.org")
    gone = subscribed(recipient="left@example.org", kelurahan=[UTARA_KELURAHAN])
    subscriptions.unsubscribe([r for r in gone if r.recipient == "left@example.org"][0])
    assert subscriptions.purge(timezone.now() + timedelta(days=6)) == 0
    assert subscriptions.purge(timezone.now() + timedelta(days=8)) == 1
    assert subscriptions.purge(timezone.now() + timedelta(days=31)) == 1
    assert list(Subscription.objects.all()) == [kept]


# --- monthly statistics -------------------------------------------------------------------------


def _incidents(code: str, category: str, count: int, when: datetime) -> None:
    kel = Kelurahan.objects.get(code=code)
    for _ in range(count):
        Incident.objects.create(
            category=category, lat=kel.lat, lon=kel.lon, kelurahan=kel, kelurahan_code=code,
            occurred_from=when,
        )  # fmt: skip


def test_monthly_statistics_go_out_once_a_month_after_the_delay(db: Any) -> None:
    subscribed()
    subscribed(recipient="alerts.only@example.org", wants_monthly="")
    _incidents(SELATAN_KELURAHAN, "curanmor", 4, datetime(2030, 2, 10, 21, 0, tzinfo=WITA))
    _incidents(SELATAN_KELURAHAN, "curas", 2, datetime(2030, 2, 12, 21, 0, tzinfo=WITA))
    with time_machine.travel(datetime(2030, 3, 5, 9, 0, tzinfo=WITA)):
        assert subscriptions.send_monthly() == 0  # February is not public before the 8th
    with time_machine.travel(datetime(2030, 3, 8, 9, 0, tzinfo=WITA)):
        assert subscriptions.send_monthly() == 1
        assert subscriptions.send_monthly() == 0
    message = OutboundMessage.objects.get()
    assert message.recipient == CANARY_EMAIL
    assert "Statistik Kamtibmas Sepinggan Baru 2030-02" in message.body
    assert "<3" in message.body and ": 6 kejadian" not in message.body
    assert "/statistik/" in message.body and "/langganan/berhenti/" in message.body
    assert Subscription.objects.get(recipient=CANARY_EMAIL).last_monthly_sent == "2030-02"
    with time_machine.travel(datetime(2030, 4, 9, 9, 0, tzinfo=WITA)):
        assert subscriptions.send_monthly() == 1


def test_the_outbox_delivers_without_personal_data_in_logs(humas: Any) -> None:
    """The autouse canary fixture fails this test if an address reaches a log line."""
    subscribed()
    subscriptions.send_alert(issue(humas))
    assert deliver_due() == 1
    assert mail.outbox[-1].to == [CANARY_EMAIL]
    assert "Kamtibmas PERINGATAN" in mail.outbox[-1].subject
    # One-click unsubscribe for mail clients (RFC 2369 / RFC 8058), the same link as the body's.
    headers = mail.outbox[-1].extra_headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<https?://\S+/langganan/berhenti/[^/\s]+/>", headers["List-Unsubscribe"])
    assert headers["List-Unsubscribe"][1:-1] in mail.outbox[-1].body


def test_the_background_tasks_run_through_the_task_framework(humas: Any) -> None:
    """What the scheduler enqueues (the lines handed to the lead) imports and runs."""
    from django.utils.module_loading import import_string

    subscribed()
    alert = issue(humas)
    send = import_string("kamtibmas.portal.tasks.send_alert_task")
    assert send.enqueue(alert.pk).return_value == "queued=1"
    assert send.enqueue(999999).return_value == "queued=0"
    monthly = import_string("kamtibmas.portal.tasks.send_monthly_statistics_task")
    with time_machine.travel(datetime(2030, 3, 9, 9, 0, tzinfo=WITA)):
        assert monthly.enqueue().return_value == "queued=1"
    purge = import_string("kamtibmas.portal.tasks.purge_subscriptions_task")
    assert purge.enqueue().return_value == "deleted=0"


def test_choices_of_a_confirmed_address_change_only_when_it_confirms(db: Any) -> None:
    row = subscribed()[0]
    assert row.wants_alerts and row.wants_monthly
    post_subscribe(wants_alerts="")  # anyone could type this address: nothing changes yet
    row.refresh_from_db()
    assert row.wants_alerts and row.confirmed_at is not None
    Client().post(link_in(OutboundMessage.objects.get(), "konfirmasi"))
    row.refresh_from_db()
    assert not row.wants_alerts and row.wants_monthly
