"""Public calendar, registration, attendance and iCal feed (/kegiatan/..., /events.ics)."""

from django.urls import path

from kamtibmas.community import views_public as views

app_name = "events"
urlpatterns = [
    path("kegiatan/", views.calendar, name="calendar"),
    path("kegiatan/<uuid:uid>/", views.detail, name="detail"),
    path("kegiatan/hadir/<str:token>/", views.attend, name="attend"),
    path("kegiatan/pendaftaran/<str:token>/", views.registration_page, name="registration"),
    path(
        "kegiatan/pendaftaran/<str:token>/batal/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path(
        "kegiatan/pendaftaran/<str:token>/sertifikat.pdf",
        views.registration_certificate,
        name="registration_certificate",
    ),
    path("events.ics", views.ics, name="ics"),
]
