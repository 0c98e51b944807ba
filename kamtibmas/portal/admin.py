"""Admin for articles only: Humas edits them in the staff pages (audited); the admin is for
administrators' repairs. Subscriptions hold residents' addresses and are not listed here."""

from __future__ import annotations

from django.contrib import admin

from kamtibmas.portal.models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title_id", "kind", "is_published", "published_at", "is_synthetic")
    list_filter = ("kind", "is_published", "is_synthetic")
    search_fields = ("title_id", "title_en", "slug")
    readonly_fields = ("author", "created_at", "updated_at")
