"""Roster, dashboard and door-visit pages under /petugas/siskamling/ (namespace siskamling)."""

from django.urls import URLPattern, path

from kamtibmas.siskamling import views_dashboard, views_roster

urlpatterns: list[URLPattern] = [
    path("pos/<int:pk>/jadwal/", views_roster.roster_page, name="roster"),
    path("pos/<int:pk>/jadwal.pdf", views_roster.roster_pdf, name="roster_pdf"),
    path("dasbor/", views_dashboard.dashboard_page, name="dashboard"),
    path("kunjungan/", views_dashboard.visit_list, name="visit_list"),
]
