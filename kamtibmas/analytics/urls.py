from django.urls import path

from kamtibmas.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dasbor/knox/", views.knox_fragment, name="knox_fragment"),
    path("dasbor/hotspot-baru/", views.emerging_fragment, name="emerging_fragment"),
    path("peta/", views.crime_map, name="crime_map"),
    path("peta/kepadatan.json", views.density_meta, name="density_meta"),
    path("peta/kepadatan.png", views.density_png, name="density_png"),
    path("peta/titik-rawan.geojson", views.hotspots_geojson, name="hotspots_geojson"),
    path("peta/kelurahan.geojson", views.choropleth_geojson, name="choropleth_geojson"),
    path("peta/titik.json", views.points_json, name="points_json"),
    path("peta/kejadian.geojson", views.points_geojson, name="points_geojson"),
    path("peta/sel.json", views.cell_json, name="cell_json"),
    path("unduh/<str:name>", views.download, name="download"),
    path("laporan-bulanan/", views.monthly_report, name="monthly_report"),
    path("laporan-bulanan/arsip/<str:name>", views.stored_report, name="stored_report"),
]
