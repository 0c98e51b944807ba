"""Public alerts, their CAP documents and Atom feed, Humas's alert pages, and subscriptions."""

from django.urls import URLPattern, path

from kamtibmas.portal import views_alerts as alerts
from kamtibmas.portal import views_subscriptions as subs

STAFF = "petugas/peringatan-publik/"

urlpatterns: list[URLPattern] = [
    path("peringatan/", alerts.alert_list, name="alert_list"),
    path("peringatan/<uuid:uid>/", alerts.alert_detail, name="alert_detail"),
    path("peringatan/<uuid:uid>/cap.xml", alerts.alert_cap, name="alert_cap"),
    path("alerts.atom", alerts.alerts_atom, name="alerts_atom"),
    path(STAFF, alerts.staff_list, name="alert_staff_list"),
    path(f"{STAFF}baru/", alerts.staff_create, name="alert_staff_create"),
    path(f"{STAFF}<int:pk>/", alerts.staff_detail, name="alert_staff_detail"),
    path(f"{STAFF}<int:pk>/ubah/", alerts.staff_edit, name="alert_staff_edit"),
    path(f"{STAFF}<int:pk>/terbitkan/", alerts.staff_publish, name="alert_staff_publish"),
    path(
        f"{STAFF}<int:pk>/tindak-lanjut/<slug:kind>/",
        alerts.staff_follow_up,
        name="alert_staff_follow_up",
    ),
    path("langganan/", subs.subscribe, name="subscribe"),
    path("langganan/terkirim/", subs.subscribe_sent, name="subscribe_sent"),
    path(
        "langganan/konfirmasi/<str:token>/",
        subs.subscription_confirm,
        name="subscription_confirm",
    ),
    path("langganan/berhenti/<str:token>/", subs.unsubscribe, name="unsubscribe"),
]
