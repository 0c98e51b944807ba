"""Staff pages of programmes and events (mounted under /petugas/kegiatan/)."""

from django.urls import path

from kamtibmas.community import views_events as views

urlpatterns = [
    path("", views.programme_list, name="programme_list"),
    path("program/baru/", views.programme_create, name="programme_create"),
    path("program/<int:pk>/", views.programme_detail, name="programme_detail"),
    path("program/<int:pk>/ubah/", views.programme_edit, name="programme_edit"),
    path("program/<int:pk>/acara/baru/", views.event_create, name="event_create"),
    path("acara/<int:pk>/", views.event_detail, name="event_detail"),
    path("acara/<int:pk>/ubah/", views.event_edit, name="event_edit"),
    path("acara/<int:pk>/status/", views.event_status, name="event_status"),
    path("acara/<int:pk>/hadir/", views.event_attendance, name="event_attendance"),
    path("acara/<int:pk>/peserta-datang/", views.event_walk_in, name="event_walk_in"),
    path("acara/<int:pk>/qr/", views.event_qr, name="event_qr"),
    path("acara/<int:pk>/qr/ganti/", views.event_rotate_qr, name="event_rotate_qr"),
    path(
        "acara/<int:pk>/sertifikat/<int:registration>.pdf",
        views.event_certificate,
        name="event_certificate",
    ),
]
