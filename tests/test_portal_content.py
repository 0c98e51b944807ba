"""Safety news and education: the Humas editor (permissions, audit, validation, images), the
public pages (published only, escaped, English when chosen), the home page and the demo."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from kamtibmas.accounts import roles
from kamtibmas.accounts.models import AuditEvent
from kamtibmas.community.models import Event, Programme
from kamtibmas.geo.models import Unit
from kamtibmas.portal import content
from kamtibmas.portal.demo_content import DEMO_ARTICLES, load_demo_content
from kamtibmas.portal.models import Article, PublicAlert
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FORM = {
    "kind": "education",
    "title_id": "Kunci ganda untuk motor",
    "summary_id": "Ringkas",
    "body_id": "Paragraf satu.\n\nParagraf <script>alert(1)</script> dua.",
    "title_en": "",
    "summary_en": "",
    "body_en": "",
}


@pytest.fixture
def humas(db: Any) -> Any:
    return make_user("humas.polres", roles.PUBLIC_RELATIONS, "polres-balikpapan")


@pytest.fixture
def humas_client(humas: Any) -> Client:
    client = Client()
    client.force_login(humas)
    return client


def article(**overrides: Any) -> Article:
    values: dict[str, Any] = {
        "slug": "uji-artikel", "title_id": "Judul uji", "body_id": "Isi uji.",
        "is_published": True, "published_at": timezone.now() - timedelta(hours=1),
    }  # fmt: skip
    values.update(overrides)
    return Article.objects.create(**values)


def jpeg_bytes(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, format="JPEG")
    return out.getvalue()


# --- the editor -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [roles.DESK_OFFICER, roles.COMMUNITY_OFFICER, roles.COMMANDER, roles.ANALYST]
)
def test_only_public_relations_and_admins_edit_articles(client: Client, role: str) -> None:
    client.force_login(make_user(f"u-{role}", role, "polsek-balikpapan-selatan"))
    assert client.get("/petugas/konten/").status_code == 403
    assert client.post("/petugas/konten/baru/", FORM).status_code == 403
    target = article(is_published=False)
    assert client.post(f"/petugas/konten/{target.pk}/terbitkan/").status_code == 403
    target.refresh_from_db()
    assert not target.is_published and not Article.objects.filter(title_id=FORM["title_id"])


def test_an_admin_may_edit(client: Client) -> None:
    client.force_login(make_user("admin.polres", roles.ADMIN, "polres-balikpapan"))
    assert client.get("/petugas/konten/").status_code == 200


def test_residents_and_anonymous_visitors_cannot_reach_the_editor(
    client: Client, resident: Any
) -> None:
    assert client.get("/petugas/konten/baru/").status_code == 302
    client.force_login(resident)
    assert client.get("/petugas/konten/baru/").status_code == 403


def test_humas_writes_publishes_and_unpublishes_an_article_all_audited(
    humas_client: Client, humas: Any
) -> None:
    response = humas_client.post("/petugas/konten/baru/", FORM)
    assert response.status_code == 302
    created = Article.objects.get(title_id=FORM["title_id"])
    assert created.slug == "kunci-ganda-untuk-motor" and created.author == humas
    assert not created.is_published
    assert Client().get(f"/berita/{created.slug}/").status_code == 404  # a draft is not public
    humas_client.post(f"/petugas/konten/{created.pk}/terbitkan/")
    created.refresh_from_db()
    assert created.is_published and created.published_at is not None
    assert Client().get(f"/berita/{created.slug}/").status_code == 200
    humas_client.post(f"/petugas/konten/{created.pk}/tarik/")
    assert Client().get(f"/berita/{created.slug}/").status_code == 404
    actions = list(
        AuditEvent.objects.filter(object_type="article", object_id=str(created.pk))
        .order_by("at", "pk")
        .values_list("action", flat=True)
    )
    assert actions == ["article_created", "article_published", "article_unpublished"]
    assert AuditEvent.objects.filter(actor=humas, action="article_created").exists()


def test_a_second_article_with_the_same_title_gets_its_own_slug(humas_client: Client) -> None:
    humas_client.post("/petugas/konten/baru/", FORM)
    humas_client.post("/petugas/konten/baru/", FORM)
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert slugs == {"kunci-ganda-untuk-motor", "kunci-ganda-untuk-motor-2"}


def test_a_bad_form_is_shown_again_with_what_was_typed(humas_client: Client) -> None:
    data = {**FORM, "title_id": "", "title_en": "Only an English title", "kind": "poem"}
    response = humas_client.post("/petugas/konten/baru/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Paragraf satu." in html and "Only an English title" in html
    form = response.context["form"]
    assert {"title_id", "kind", "body_en"} <= set(form.errors)
    assert not Article.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_with_a_message(humas_client: Client) -> None:
    upload = io.BytesIO(b"%PDF-1.4 not an image")
    upload.name = "poster.pdf"
    response = humas_client.post("/petugas/konten/baru/", {**FORM, "upload": upload})
    assert response.status_code == 400
    assert "upload" in response.context["form"].errors
    assert not Article.objects.exists()


def test_an_image_is_stored_resized_without_metadata_and_served_when_published(
    humas_client: Client,
) -> None:
    upload = io.BytesIO(jpeg_bytes((3000, 1500)))
    upload.name = "foto.jpg"
    assert humas_client.post("/petugas/konten/baru/", {**FORM, "upload": upload}).status_code == 302
    stored = Article.objects.get()
    with Image.open(stored.image.open("rb")) as image:
        assert image.size == (1200, 600) and not image.getexif()
    assert Client().get(f"/berita/{stored.slug}/gambar.jpg").status_code == 404  # a draft
    content.publish(stored, None)
    response = Client().get(f"/berita/{stored.slug}/gambar.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    humas_client.post(f"/petugas/konten/{stored.pk}/ubah/", {**FORM, "remove_image": "on"})
    stored.refresh_from_db()
    assert not stored.image


# --- public pages ---------------------------------------------------------------------------


def test_the_text_is_escaped_and_paragraphs_kept(client: Client) -> None:
    article(body_id="Satu <b>tebal</b>.\n\nDua <script>alert(1)</script>.")
    html = client.get("/berita/uji-artikel/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<p>Satu &lt;b&gt;tebal&lt;/b&gt;.</p>" in html


def test_english_is_shown_when_chosen_and_written(client: Client) -> None:
    article(title_en="Test title", body_en="English body.")
    article(slug="hanya-indonesia", title_id="Hanya Indonesia", body_id="Isi.")
    assert "Judul uji" in client.get("/berita/uji-artikel/").content.decode()
    client.cookies["django_language"] = "en"
    html = client.get("/berita/uji-artikel/").content.decode()
    assert "Test title" in html and "English body." in html and 'lang="en"' in html
    other = client.get("/berita/hanya-indonesia/").content.decode()
    assert "Hanya Indonesia" in other and 'lang="id"' in other


def test_the_list_shows_published_articles_only_newest_first(client: Client) -> None:
    now = timezone.now()
    article(slug="lama", title_id="Berita lama", published_at=now - timedelta(days=3))
    article(slug="baru", title_id="Berita baru", published_at=now - timedelta(days=1))
    article(slug="draf", title_id="Berita draf", is_published=False)
    article(slug="nanti", title_id="Berita nanti", published_at=now + timedelta(days=1))
    html = client.get("/berita/").content.decode()
    assert html.index("Berita baru") < html.index("Berita lama")
    assert "Berita draf" not in html and "Berita nanti" not in html
    assert client.get("/berita/", {"page": "banyak"}).status_code == 200


# --- home page ------------------------------------------------------------------------------


def test_the_home_page_shows_emergency_numbers_news_alerts_and_statistics(
    client: Client,
) -> None:
    load_demo_content()
    alert = PublicAlert.objects.create(
        headline_id="Waspada curanmor di Sepinggan", description_id="Rangkaian pencurian motor.",
        status=PublicAlert.Status.PUBLISHED, published_at=timezone.now(),
    )  # fmt: skip
    programme = Programme.objects.create(
        name="Jumat Curhat Selatan", kind="dialogue",
        organising_unit=Unit.objects.get(code="polsek-balikpapan-selatan"),
    )  # fmt: skip
    start = timezone.now() + timedelta(days=2)
    event = Event.objects.create(
        programme=programme, title="Jumat Curhat di Sepinggan", starts_at=start,
        ends_at=start + timedelta(hours=2), place_name="Balai RW 05",
    )  # fmt: skip
    Event.objects.create(
        programme=programme, title="Acara internal", starts_at=start,
        ends_at=start + timedelta(hours=2), place_name="Polsek", is_public=False,
    )  # fmt: skip
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Jumat Curhat di Sepinggan" in html and f"/kegiatan/{event.uid}/" in html
    assert "Acara internal" not in html and 'href="/kegiatan/"' in html
    for number in ("110", "112"):
        assert f'href="tel:{number}"' in html
    assert len(response.context["articles"]) == 3
    assert DEMO_ARTICLES[0][3] in html  # the newest demo article's Indonesian title
    assert "Waspada curanmor di Sepinggan" in html and f"/peringatan/{alert.uid}/" in html
    assert 'href="/langganan/"' in html
    assert 'href="/statistik/"' in html and 'href="/berita/"' in html
    assert 'href="/lapor/"' in html and 'id="home-code"' in html
    assert "leaflet" not in html.lower()  # no map on the home page


def test_the_home_page_speaks_indonesian_first(client: Client) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="id">' in html and "Darurat?" in html and "Berita dan tips keamanan" in html


# --- demo -----------------------------------------------------------------------------------


def test_the_demo_content_is_idempotent_published_synthetic_and_bilingual() -> None:
    now = timezone.now()
    assert load_demo_content(now) == len(DEMO_ARTICLES) >= 6
    assert load_demo_content(now) == 0
    articles = Article.objects.all()
    assert articles.count() == len(DEMO_ARTICLES)
    assert all(a.is_synthetic and a.is_published and a.title_en and a.body_en for a in articles)
    assert {a.kind for a in articles} == {"news", "education"}
    with translation.override("en"):
        assert content.text_of(articles[0]).lang == "en"
