"""Staff pages of Siskamling posts (/petugas/siskamling/)."""

from django.urls import path

from kamtibmas.siskamling import views_posts

urlpatterns = [
    path("", views_posts.post_list, name="post_list"),
    path("peta/", views_posts.post_map_page, name="post_map"),
    path("pos/baru/", views_posts.post_create, name="post_create"),
    path("pos/<int:pk>/", views_posts.post_detail, name="post_detail"),
    path("pos/<int:pk>/ubah/", views_posts.post_edit, name="post_edit"),
    path("pos/<int:pk>/tautan-baru/", views_posts.post_rotate_token, name="post_rotate_token"),
    path("pos/<int:pk>/foto/", views_posts.post_photo, name="post_photo"),
]
