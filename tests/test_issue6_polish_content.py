"""Public relations previews a draft article, text and image, as the public page shows it;
the draft and its image stay hidden from everyone else."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from kamtibmas.accounts import roles
from kamtibmas.portal.models import Article
from tests.conftest import make_user
from tests.test_portal_content import FORM, jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def humas_client(db: None) -> Client:
    client = Client()
    client.force_login(make_user("humas.polres", roles.PUBLIC_RELATIONS, "polres-balikpapan"))
    return client


@pytest.fixture
def draft(humas_client: Client) -> Article:
    upload = io.BytesIO(jpeg_bytes((800, 400)))
    upload.name = "foto.jpg"
    response = humas_client.post("/petugas/konten/baru/", {**FORM, "upload": upload})
    assert response.status_code == 302
    return Article.objects.get()


def test_humas_previews_a_draft_with_its_image_under_a_banner(
    humas_client: Client, draft: Article
) -> None:
    url = f"/petugas/konten/{draft.pk}/pratinjau/"
    assert url in humas_client.get("/petugas/konten/").content.decode()
    assert url in humas_client.get(f"/petugas/konten/{draft.pk}/ubah/").content.decode()
    response = humas_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert "DRAF / pratinjau" in page and "Kunci ganda untuk motor" in page
    assert "Paragraf satu." in page and "&lt;script&gt;" in page and "<script>alert" not in page
    image_url = f"/petugas/konten/{draft.pk}/gambar.jpg"
    assert f'src="{image_url}"' in page and f"/berita/{draft.slug}/gambar.jpg" not in page
    image = humas_client.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["Cache-Control"] == "private, no-store"
    assert Client().get(f"/berita/{draft.slug}/").status_code == 404


def test_the_preview_and_the_draft_image_are_for_editors_only(draft: Article) -> None:
    officer = make_user("desk.selatan2", roles.DESK_OFFICER, "polsek-balikpapan-selatan")
    client = Client()
    client.force_login(officer)
    for url in (f"/petugas/konten/{draft.pk}/pratinjau/", f"/petugas/konten/{draft.pk}/gambar.jpg"):
        assert client.get(url).status_code == 403
        assert Client().get(url).status_code == 302


def test_an_article_without_an_image_has_no_image_to_serve(humas_client: Client) -> None:
    assert humas_client.post("/petugas/konten/baru/", FORM).status_code == 302
    article = Article.objects.get()
    assert humas_client.get(f"/petugas/konten/{article.pk}/gambar.jpg").status_code == 404
    page = humas_client.get(f"/petugas/konten/{article.pk}/pratinjau/").content.decode()
    assert "gambar.jpg" not in page
