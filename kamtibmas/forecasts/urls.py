from django.urls import path

from kamtibmas.forecasts import views

app_name = "forecasts"

urlpatterns = [
    path("", views.forecast_list, name="list"),
    path("buat/", views.make_now, name="make"),
    path("akurasi/", views.accuracy, name="accuracy"),
    path("<int:pk>/", views.forecast_detail, name="detail"),
    path("<int:pk>/sel.geojson", views.cells_geojson, name="cells_geojson"),
    path("<int:pk>/sel.csv", views.cells_csv, name="cells_csv"),
]
