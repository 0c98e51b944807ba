"""Public pages: the report form, the receipt and the status page. (to be written)"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
