from django.contrib import admin
from django.urls import include, path

from kamtibmas.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("kamtibmas.open311.urls")),
    path("akun/kunci-api/", include("kamtibmas.accounts.urls_apikeys")),
    path("akun/", include("kamtibmas.accounts.urls")),
    path("geo/", include("kamtibmas.geo.urls")),
    path("analisis/", include("kamtibmas.analytics.urls")),
    path("petugas/kejadian/", include("kamtibmas.incidents.urls")),
    path("analisis/prakiraan/", include("kamtibmas.forecasts.urls")),
    path("petugas/patroli/", include("kamtibmas.patrols.urls")),
    path("petugas/cctv/", include("kamtibmas.cctv.urls")),
    path("petugas/siskamling/", include("kamtibmas.siskamling.urls")),
    path("pos/", include("kamtibmas.siskamling.urls_public")),
    path("petugas/kegiatan/", include("kamtibmas.community.urls")),
    path("", include("kamtibmas.community.urls_public")),
    path("", include("kamtibmas.reports.urls")),
    path("", include("kamtibmas.portal.urls")),
]
