"""A post coordinator's check-in pages (/pos/<token>/...): no account, the token is the key."""

from django.urls import path

from kamtibmas.siskamling import views_checkin

app_name = "pos"
urlpatterns = [
    path("<str:token>/", views_checkin.checkin_page, name="checkin"),
    path("<str:token>/lapor/", views_checkin.report_page, name="report"),
]
