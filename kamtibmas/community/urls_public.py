"""Public calendar, registration, attendance and iCal feed (/kegiatan/..., /events.ics)."""

from django.urls import URLPattern

app_name = "events"
urlpatterns: list[URLPattern] = []
