"""Staff pages: inbox, detail, triage actions. (to be written)"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
