"""Safety news and education articles: who may edit them, and every change (audited).

Articles are plain text with paragraphs; templates escape them and turn blank lines into
paragraphs, so no editor can put HTML or scripts on the public site. Images go through the same
check as report photos (decoded, metadata stripped) and are stored resized."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from PIL import Image

from kamtibmas.accounts import audit, roles
from kamtibmas.portal.models import Article
from kamtibmas.reports.photos import clean_photo

EDITOR_ROLES = (roles.PUBLIC_RELATIONS, roles.ADMIN)
IMAGE_MAX_PX = 1200  # wide enough for a phone and a laptop column, small enough for 3G
IMAGE_QUALITY = 80
SLUG_MAX = 100


def can_edit(user: Any) -> bool:
    """Public relations (Humas) and administrators edit the articles of the whole Polres."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.has_role(*EDITOR_ROLES))


def published_articles(now: datetime | None = None) -> QuerySet[Article]:
    return Article.objects.filter(is_published=True, published_at__lte=now or timezone.now())


@dataclass(frozen=True)
class ArticleText:
    """The article in the visitor's language: English when picked and written, else Indonesian."""

    title: str
    summary: str
    body: str
    lang: str


def text_of(article: Article, language: str | None = None) -> ArticleText:
    english = (language or get_language() or "id").startswith("en")
    if english and article.title_en and article.body_en:
        return ArticleText(article.title_en, article.summary_en, article.body_en, "en")
    return ArticleText(article.title_id, article.summary_id, article.body_id, "id")


def unique_slug(title: str) -> str:
    base = slugify(title)[:SLUG_MAX].strip("-") or "artikel"
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exists():
        slug = f"{base[: SLUG_MAX - 6]}-{n}"
        n += 1
    return slug


def resized_image(upload: IO[bytes], name: str = "image") -> ContentFile[bytes]:
    """Checked like a report photo (PhotoError if not an image), then at most 1200 px, JPEG."""
    clean = clean_photo(upload, name)
    with Image.open(io.BytesIO(clean.content.read())) as image:
        image.thumbnail((IMAGE_MAX_PX, IMAGE_MAX_PX))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=IMAGE_QUALITY, optimize=True)
    return ContentFile(out.getvalue(), name=f"{clean.sha256[:16]}.jpg")


@transaction.atomic
def save_article(
    article: Article, user: Any, image: ContentFile[bytes] | None = None, remove_image: bool = False
) -> Article:
    """Create or change an article (its fields already set by the form), audited."""
    created = article.pk is None
    if created:
        article.author = user if getattr(user, "is_authenticated", False) else None
        article.slug = unique_slug(article.title_id)
    if remove_image:
        article.image = None
    if image is not None:
        article.image.save(image.name or "image.jpg", image, save=False)
    article.updated_at = timezone.now()
    article.save()
    action = "article_created" if created else "article_changed"
    audit.record(user, action, article, purpose="public content", kind=article.kind)
    return article


@transaction.atomic
def publish(article: Article, user: Any, now: datetime | None = None) -> Article:
    article.is_published = True
    article.published_at = article.published_at or now or timezone.now()
    article.updated_at = timezone.now()
    article.save(update_fields=["is_published", "published_at", "updated_at"])
    audit.record(user, "article_published", article, purpose="public content")
    return article


@transaction.atomic
def unpublish(article: Article, user: Any) -> Article:
    article.is_published = False
    article.updated_at = timezone.now()
    article.save(update_fields=["is_published", "updated_at"])
    audit.record(user, "article_unpublished", article, purpose="public content")
    return article
