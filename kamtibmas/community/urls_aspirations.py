"""Staff pages of the topics heard at events and of programme outcomes (namespace community)."""

from django.urls import URLPattern, path

from kamtibmas.community import views_aspirations as views

urlpatterns: list[URLPattern] = [
    path("acara/<int:pk>/aspirasi/baru/", views.aspiration_create, name="aspiration_create"),
    path("program/<int:pk>/hasil/", views.programme_outcome_page, name="programme_outcome"),
    path("program/<int:pk>/hasil.csv", views.programme_outcome_csv, name="programme_outcome_csv"),
    path("program/<int:pk>/hasil.pdf", views.programme_outcome_pdf, name="programme_outcome_pdf"),
]
