"""A post coordinator's check-in pages (/pos/<token>/...): no account, the token is the key."""

from django.urls import URLPattern

app_name = "pos"
urlpatterns: list[URLPattern] = []
