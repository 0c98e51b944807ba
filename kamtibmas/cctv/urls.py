from django.urls import path

from kamtibmas.cctv import views

app_name = "cctv"

urlpatterns = [
    path("", views.camera_list, name="camera_list"),
    path("kamera.geojson", views.cameras_geojson, name="cameras_geojson"),
    path("kamera/baru/", views.camera_create, name="camera_create"),
    path("kamera/<int:pk>/", views.camera_detail, name="camera_detail"),
    path("kamera/<int:pk>/ubah/", views.camera_edit, name="camera_edit"),
    path("peringatan/", views.alert_list, name="alert_list"),
    path("peringatan/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("peringatan/<int:pk>/foto.jpg", views.alert_snapshot, name="alert_snapshot"),
    path("peringatan/<int:pk>/aksi/<slug:action>/", views.alert_action, name="alert_action"),
]

# Camera placement (kamtibmas/cctv/placement_views.py).
from kamtibmas.cctv import placement_views  # noqa: E402

urlpatterns += [
    path("penempatan/", placement_views.placement_page, name="placement"),
    path("penempatan.geojson", placement_views.placement_geojson, name="placement_geojson"),
    path("penempatan.csv", placement_views.placement_csv, name="placement_csv"),
]

# The forecast risk layer of the camera map (kamtibmas/cctv/risk_views.py).
from kamtibmas.cctv import risk_views  # noqa: E402

urlpatterns += [path("risiko.geojson", risk_views.risk_geojson, name="risk_geojson")]

# Zones and privacy masks drawn on the camera's picture; the worker's cctv.yaml
# (kamtibmas/cctv/views_zones.py).
from kamtibmas.cctv import views_zones  # noqa: E402

urlpatterns += [
    path("kamera/<int:pk>/zona/", views_zones.camera_zones, name="camera_zones"),
    path("kamera/<int:pk>/gambar.jpg", views_zones.camera_still, name="camera_still"),
    path("kamera/<int:pk>/cctv.yaml", views_zones.camera_worker_yaml, name="camera_worker_yaml"),
    path("cctv.yaml", views_zones.worker_yaml_all, name="worker_yaml_all"),
]
