from django.urls import URLPattern, path

from kamtibmas.portal import views

app_name = "portal"
urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
]
