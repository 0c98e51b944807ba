from django.urls import path

from kamtibmas.portal import urls_alerts, urls_content, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    *urls_content.urlpatterns,
    *urls_alerts.urlpatterns,
]
