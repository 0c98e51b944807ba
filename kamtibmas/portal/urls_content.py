"""Home page content (news and education), its staff editor, and the public statistics."""

from django.urls import URLPattern, path

from kamtibmas.portal import views_content, views_stats

urlpatterns: list[URLPattern] = [
    path("berita/", views_content.article_list, name="article_list"),
    path("berita/<slug:slug>/", views_content.article_detail, name="article_detail"),
    path("berita/<slug:slug>/gambar.jpg", views_content.article_image, name="article_image"),
    path("petugas/konten/", views_content.content_list, name="content_list"),
    path("petugas/konten/baru/", views_content.content_create, name="content_create"),
    path("petugas/konten/<int:pk>/ubah/", views_content.content_edit, name="content_edit"),
    path(
        "petugas/konten/<int:pk>/pratinjau/", views_content.content_preview, name="content_preview"
    ),
    path("petugas/konten/<int:pk>/gambar.jpg", views_content.content_image, name="content_image"),
    path(
        "petugas/konten/<int:pk>/terbitkan/", views_content.content_publish, name="content_publish"
    ),
    path(
        "petugas/konten/<int:pk>/tarik/", views_content.content_unpublish, name="content_unpublish"
    ),
    path("statistik/", views_stats.stats_page, name="stats"),
    path("statistik/kejahatan.csv", views_stats.crime_stats_csv, name="crime_stats_csv"),
]
