"""Siskamling posts: who sees and changes them, the form's refusals (with the values kept),
audit rows, the check-in link and its rotation, the posts-over-risk computation and page, and
the demo loader."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import translation

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.geo.models import Kelurahan, Unit
from kamtibmas.siskamling import post_map, posts
from kamtibmas.siskamling.models import Post
from kamtibmas_analytics.grid import Grid
from tests.conftest import (
    CANARY_EMAIL,
    CANARY_NAME,
    CANARY_PHONE,
    SELATAN_KELURAHAN,
    UTARA_KELURAHAN,
    make_user,
    point_in,
)

pytestmark = pytest.mark.django_db

SELATAN = "polsek-balikpapan-selatan"
UTARA = "polsek-balikpapan-utara"
OUTSIDE = (-0.5, 117.15)  # Samarinda, outside Polres Balikpapan


def make_post(code: str = SELATAN_KELURAHAN, **values: Any) -> Post:
    lat, lon = point_in(code)
    kel = Kelurahan.objects.get(code=code)
    from kamtibmas.geo import lookup

    area = lookup.find_area(lat, lon)
    assert area is not None
    fields: dict[str, Any] = {
        "name": "Pos Kamling Mawar",
        "kelurahan": kel,
        "kelurahan_code": code,
        "unit": Unit.objects.get(pk=area.unit_id),
        "lat": lat,
        "lon": lon,
        "coordinator_name": CANARY_NAME,
        "coordinator_phone": CANARY_PHONE,
    }
    fields.update(values)
    return Post.objects.create(**fields)


def form_data(code: str = SELATAN_KELURAHAN, **overrides: Any) -> dict[str, Any]:
    lat, lon = point_in(code)
    data: dict[str, Any] = {
        "name": "Pos Ronda Melati",
        "lat": str(lat),
        "lon": str(lon),
        "rw": "03",
        "rt": "12",
        "address_text": "Depan masjid",
        "coordinator_name": CANARY_NAME,
        "coordinator_phone": CANARY_PHONE,
        "coordinator_email": CANARY_EMAIL,
        "is_active": "on",
    }
    data.update(overrides)
    return data


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ---- scoping and permissions ----------------------------------------------------------------


def test_it_lists_posts_of_the_officers_unit_only(officer_selatan: Any, officer_utara: Any) -> None:
    make_post(SELATAN_KELURAHAN, name="Pos Selatan")
    make_post(UTARA_KELURAHAN, name="Pos Utara")
    own = client_for(officer_selatan).get("/petugas/siskamling/").content.decode()
    other = client_for(officer_utara).get("/petugas/siskamling/").content.decode()
    assert "Pos Selatan" in own and "Pos Utara" not in own
    assert "Pos Utara" in other and "Pos Selatan" not in other


def test_it_filters_the_list_by_kelurahan_and_status(commander_polres: Any) -> None:
    make_post(SELATAN_KELURAHAN, name="Pos Aktif")
    make_post(SELATAN_KELURAHAN, name="Pos Tidur", is_active=False)
    make_post(UTARA_KELURAHAN, name="Pos Utara")
    client = client_for(commander_polres)
    page = client.get("/petugas/siskamling/", {"kelurahan": SELATAN_KELURAHAN, "active": "0"})
    text = page.content.decode()
    assert "Pos Tidur" in text and "Pos Aktif" not in text and "Pos Utara" not in text
    bad = client.get("/petugas/siskamling/", {"kelurahan": "nope", "active": "x"})
    assert bad.status_code == 200  # a bad filter is ignored, never a 500


def test_only_editors_of_the_unit_may_change_a_post(
    officer_selatan: Any, bhabin_selatan: Any, commander_polres: Any
) -> None:
    from kamtibmas.siskamling.scoping import can_edit

    post = make_post()
    other_bhabin = make_user("bhabin.utara", roles.COMMUNITY_OFFICER, UTARA)
    assert can_edit(bhabin_selatan, post) and can_edit(commander_polres, post)
    assert not can_edit(officer_selatan, post) and not can_edit(other_bhabin, post)
    assert (
        client_for(officer_selatan).get(f"/petugas/siskamling/pos/{post.pk}/ubah/").status_code
        == 403
    )
    assert client_for(other_bhabin).get(f"/petugas/siskamling/pos/{post.pk}/").status_code == 404


def test_a_bhabinkamtibmas_creates_a_post_resolved_from_the_pin(bhabin_selatan: Any) -> None:
    response = client_for(bhabin_selatan).post("/petugas/siskamling/pos/baru/", form_data())
    assert response.status_code == 302
    post = Post.objects.get(name="Pos Ronda Melati")
    assert post.kelurahan_code == SELATAN_KELURAHAN
    assert post.unit.code == SELATAN
    assert post.created_by == bhabin_selatan
    event = AuditEvent.objects.get(action="siskamling_post_created", object_id=str(post.pk))
    assert "coordinator_phone" in event.detail["fields"]
    assert CANARY_PHONE not in str(event.detail) and CANARY_NAME not in str(event.detail)


def test_an_edit_is_audited_with_the_changed_fields_only(bhabin_selatan: Any) -> None:
    post = make_post()
    data = form_data(name="Pos Kamling Mawar", coordinator_name=CANARY_NAME, is_active="")
    response = client_for(bhabin_selatan).post(f"/petugas/siskamling/pos/{post.pk}/ubah/", data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="siskamling_post_changed", object_id=str(post.pk))
    assert "is_active" in event.detail["fields"] and "name" not in event.detail["fields"]
    post.refresh_from_db()
    assert not post.is_active


# ---- bad input: clear messages, the values kept ------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"lat": str(OUTSIDE[0]), "lon": str(OUTSIDE[1])}, "di luar wilayah Polres Balikpapan"),
        ({"coordinator_phone": "abc"}, "Nomor telepon ini tidak valid"),
        ({"name": "  "}, "Beri nama pos"),
        ({"lat": "", "lon": ""}, "Pasang pin di peta"),
        ({"rt": "12a"}, "RT dan RW"),
        ({"coordinator_email": "not-an-email"}, "e-mail"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_the_values_kept(
    bhabin_selatan: Any, overrides: dict[str, str], message: str
) -> None:
    data = form_data(address_text="Samping warung Bu Tini", **overrides)
    response = client_for(bhabin_selatan).post("/petugas/siskamling/pos/baru/", data)
    assert response.status_code == 400
    text = response.content.decode()
    assert message.lower() in text.lower()
    assert "Samping warung Bu Tini" in text
    assert not Post.objects.exists()


def test_a_file_that_is_not_a_photo_is_refused(bhabin_selatan: Any) -> None:
    upload = io.BytesIO(b"%PDF-1.4 not an image")
    upload.name = "card.pdf"
    data = form_data(photo_upload=upload)
    response = client_for(bhabin_selatan).post("/petugas/siskamling/pos/baru/", data)
    assert response.status_code == 400
    assert "bukan foto" in response.content.decode()
    assert not Post.objects.exists()


def test_a_photo_is_stripped_and_shown_to_staff_only(
    bhabin_selatan: Any, officer_utara: Any
) -> None:
    from PIL import Image

    raw = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # camera maker
    Image.new("RGB", (30, 20), "blue").save(raw, format="JPEG", exif=exif)
    upload = io.BytesIO(raw.getvalue())
    upload.name = "pos.jpg"
    client = client_for(bhabin_selatan)
    assert (
        client.post("/petugas/siskamling/pos/baru/", form_data(photo_upload=upload)).status_code
        == 302
    )
    post = Post.objects.get()
    stored = post.photo.read()
    assert b"CanaryCam" not in stored and stored[:2] == b"\xff\xd8"
    assert client.get(f"/petugas/siskamling/pos/{post.pk}/foto/").status_code == 200
    assert (
        client_for(officer_utara).get(f"/petugas/siskamling/pos/{post.pk}/foto/").status_code == 404
    )
    assert Client().get(f"/petugas/siskamling/pos/{post.pk}/foto/").status_code == 302


# ---- detail, the card and the link -----------------------------------------------------------


def test_the_detail_page_shows_the_card_and_audits_the_contact_read(officer_selatan: Any) -> None:
    post = make_post()
    response = client_for(officer_selatan).get(f"/petugas/siskamling/pos/{post.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert f"/pos/{post.checkin_token}/" in text and "<svg" in text
    assert CANARY_PHONE in text  # staff of the unit see the coordinator
    assert 'id="roster-summary"' in text  # helper B's include
    assert AuditEvent.objects.filter(action="siskamling_post_contact_viewed").count() == 1


def test_rotating_the_link_stops_the_old_one_at_once(
    bhabin_selatan: Any, officer_selatan: Any
) -> None:
    post = make_post()
    old = post.checkin_token
    anonymous = Client()
    assert anonymous.get(f"/pos/{old}/").status_code == 200
    url = f"/petugas/siskamling/pos/{post.pk}/tautan-baru/"
    assert client_for(officer_selatan).post(url, {"confirm": "1"}).status_code == 403
    client = client_for(bhabin_selatan)
    client.post(url, {})  # not confirmed: nothing changes
    post.refresh_from_db()
    assert post.checkin_token == old
    assert client.post(url, {"confirm": "1"}).status_code == 302
    post.refresh_from_db()
    assert post.checkin_token != old and post.token_rotated_at is not None
    gone = anonymous.get(f"/pos/{old}/")
    assert gone.status_code == 404 and "Bhabinkamtibmas" in gone.content.decode()
    assert anonymous.get(f"/pos/{post.checkin_token}/").status_code == 200
    assert AuditEvent.objects.filter(action="siskamling_post_token_rotated").count() == 1


def test_the_card_link_uses_the_public_base_url(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://kamtibmas.example.id/"
    post = make_post()
    assert posts.checkin_url(post) == f"https://kamtibmas.example.id/pos/{post.checkin_token}/"


# ---- the map computation ---------------------------------------------------------------------


def _grid() -> Grid:
    return Grid(0.0, 0.0, 100.0, nx=20, ny=20)  # 2 km square, centres at 50, 150, ...


def test_high_risk_is_the_top_share_of_the_area_and_never_zero() -> None:
    scores = np.zeros((20, 20))
    scores[5, 5], scores[6, 6], scores[7, 7] = 3.0, 2.0, 1.0
    mask = np.ones((20, 20), bool)
    high = post_map.high_risk_mask(scores, mask, 0.005)  # 0.5 % of 400 cells = 2
    assert sorted(zip(*np.nonzero(high), strict=True)) == [(5, 5), (6, 6)]
    assert not post_map.high_risk_mask(np.zeros((20, 20)), mask).any()
    outside = np.zeros((20, 20), bool)
    assert not post_map.high_risk_mask(scores, outside).any()


def test_a_high_risk_cell_near_an_active_post_is_not_a_gap() -> None:
    scores = np.zeros((20, 20))
    scores[5, 5] = 3.0  # centre (550, 550)
    scores[15, 15] = 2.0  # centre (1550, 1550)
    mask = np.ones((20, 20), bool)
    posts_xy = np.array([[600.0, 600.0]])  # ~71 m from the first cell, ~1344 m from the second
    gaps = post_map.coverage_gaps(_grid(), scores, mask, posts_xy, radius_m=500, share=0.005)
    assert [(g.i, g.j) for g in gaps] == [(15, 15)]
    assert gaps[0].distance_m == pytest.approx(float(np.hypot(950, 950)))
    share = post_map.covered_share(_grid(), scores, mask, posts_xy, radius_m=500, share=0.005)
    assert share == pytest.approx(0.5)


def test_without_posts_every_high_risk_cell_is_a_gap_at_infinite_distance() -> None:
    scores = np.zeros((20, 20))
    scores[2, 3] = 1.0
    gaps = post_map.coverage_gaps(_grid(), scores, np.ones((20, 20), bool), np.zeros((0, 2)))
    assert len(gaps) == 1 and gaps[0].distance_m == float("inf")


def test_nearest_distance_matches_a_brute_force_oracle() -> None:
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 5000, size=(200, 2))
    posts_xy = rng.uniform(0, 5000, size=(17, 2))
    fast = post_map.nearest_distance_m(points[:, 0], points[:, 1], posts_xy)
    slow = [min(float(np.hypot(*(p - q))) for q in posts_xy) for p in points]
    assert fast == pytest.approx(slow)


def _flat_surface(unit: Unit, lat: float, lon: float) -> Any:
    """A one-hot forecast at (lat, lon) over the unit's real grid (no model needed)."""
    from kamtibmas.forecasts import data
    from kamtibmas.forecasts.surface import METRIC_CRS, RiskSurface
    from kamtibmas_analytics.projection import to_metres

    area = data.unit_area(unit)
    x, y, _crs = to_metres([lon], [lat], METRIC_CRS)
    i, j = area.grid.cell_index(x, y)
    scores = np.zeros(area.grid.shape)
    scores[int(i[0]), int(j[0])] = 5.0
    from django.utils import timezone

    now = timezone.now()
    return RiskSurface(area.grid, scores, area.mask, unit.pk, "3c", now, now, "test")


def test_an_inactive_post_does_not_cover_a_high_risk_cell(monkeypatch: Any) -> None:
    from django.utils import timezone

    unit = Unit.objects.get(code=SELATAN)
    lat, lon = point_in(SELATAN_KELURAHAN)
    monkeypatch.setattr(post_map, "combined_surface", lambda *a: _flat_surface(unit, lat, lon))
    post = make_post(is_active=False)
    result = post_map.build_post_map(unit, "all", timezone.now(), [post])
    assert result.has_risk and result.high_risk_count >= 1
    assert len(result.gaps) == result.high_risk_count
    assert result.gaps[0]["kelurahan"] and result.gaps[0]["distance_m"] is None
    summary = result.gaps_by_kelurahan
    assert sum(row["cells"] for row in summary) == len(result.gaps)
    Post.objects.filter(pk=post.pk).update(is_active=True)
    covered = post_map.build_post_map(unit, "all", timezone.now(), [post])
    assert covered.gaps == [] and covered.covered_share == 1.0
    kinds = {f["properties"]["kind"] for f in covered.geojson["features"]}
    assert {"high", "post"} <= kinds


def test_the_map_page_says_so_when_there_are_no_incidents(officer_selatan: Any) -> None:
    make_post(name="Pos Peta")
    response = client_for(officer_selatan).get("/petugas/siskamling/peta/", {"group": "3c"})
    text = response.content.decode()
    assert response.status_code == 200
    assert 'id="no-risk"' in text or "Tidak ada prakiraan" in text
    assert "500 m" in text and "5 %" in text


def test_polres_staff_choose_the_polsek_of_the_map(commander_polres: Any) -> None:
    utara = Unit.objects.get(code=UTARA)
    client = client_for(commander_polres)
    text = client.get("/petugas/siskamling/peta/", {"group": "3c"}).content.decode()
    assert 'id="m-unit"' in text and "Polsek Balikpapan Utara" in text
    chosen = client.get("/petugas/siskamling/peta/", {"unit": utara.pk, "group": "3c"})
    assert f'value="{utara.pk}" selected' in chosen.content.decode()


def test_the_map_page_refuses_bad_choices_with_a_message(commander_polres: Any) -> None:
    client = client_for(commander_polres)
    response = client.get("/petugas/siskamling/peta/", {"unit": "999999", "group": "nope"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "Satuan tidak dikenal" in text or "Unknown unit" in text


# ---- demo ------------------------------------------------------------------------------------


def test_demo_posts_are_synthetic_spread_and_idempotent() -> None:
    from kamtibmas.reports.models import Channel
    from kamtibmas.siskamling.demo import load_demo_posts
    from kamtibmas.siskamling.models import PostReport

    created = load_demo_posts(seed=7)
    assert 35 <= created <= 45
    assert Post.objects.filter(is_synthetic=False).count() == 0
    units = set(Post.objects.values_list("unit__code", flat=True))
    assert len(units) >= 5  # every Polsek has posts
    inactive = Post.objects.filter(is_active=False).count() / created
    assert 0.03 <= inactive <= 0.35
    assert all(p.coordinator_phone.startswith("0812-0000-") for p in Post.objects.all())
    reports = PostReport.objects.select_related("report")
    assert reports.count() >= 5
    assert all(r.report.channel == Channel.SISKAMLING and r.report.is_synthetic for r in reports)
    names = sorted(Post.objects.values_list("name", "lat"))
    assert load_demo_posts(seed=7) == 0
    assert sorted(Post.objects.values_list("name", "lat")) == names
    assert PostReport.objects.count() == reports.count()


def test_english_labels_come_from_the_catalogue(officer_selatan: Any) -> None:
    client = client_for(officer_selatan)
    client.post("/i18n/setlang/", {"language": "en"})
    with translation.override("en"):
        text = client.get("/petugas/siskamling/").content.decode()
    assert "Siskamling posts" in text
