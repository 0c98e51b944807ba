"""Staff pages of incident records, mounted at /petugas/kejadian/."""

from django.urls import path

from kamtibmas.incidents import views_import, views_staff

app_name = "incidents"
urlpatterns = [
    path("", views_staff.incident_list, name="list"),
    path("ekspor.<slug:fmt>", views_staff.export, name="export"),
    path("baru/", views_staff.create, name="create"),
    path("<int:pk>/", views_staff.detail, name="detail"),
    path("<int:pk>/ubah/", views_staff.edit, name="edit"),
    path("impor/", views_import.upload, name="import_upload"),
    path("impor/berkas/<str:token>/", views_import.mapping, name="import_mapping"),
    path("impor/<int:pk>/", views_import.batch_page, name="import_batch"),
    path("impor/<int:pk>/status.json", views_import.batch_status, name="import_status"),
    path("impor/<int:pk>/jalankan/", views_import.batch_confirm, name="import_confirm"),
]
