"""An officer's API keys; mount at /akun/kunci-api/."""

from django.urls import path

from kamtibmas.accounts import views_apikeys

app_name = "apikeys"
urlpatterns = [
    path("", views_apikeys.key_list, name="list"),
    path("<int:pk>/cabut/", views_apikeys.key_revoke, name="revoke"),
]
