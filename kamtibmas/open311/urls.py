"""Open311 GeoReport v2, mounted at /open311/v2/."""

from django.urls import re_path

from kamtibmas.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[\w.\-]{1,80}?)" + FMT,
        views.service_definition,
        name="service_definition",
    ),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[\w\-]{1,40})" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[\w\-]{1,70})" + FMT, views.token, name="token"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not_found"),
]
