from django.urls import path

from kamtibmas.geo import views

app_name = "geo"
urlpatterns = [
    path("kelurahan.geojson", views.kelurahan_geojson, name="kelurahan_geojson"),
    path("lookup", views.point_lookup, name="lookup"),
]
