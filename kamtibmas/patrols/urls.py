"""Patrol pages, mounted at /petugas/patroli/: planning (commanders) and the officers' field
pages. A simple list: each helper adds its block."""

from django.urls import path

from kamtibmas.patrols import views_plan

app_name = "patrols"

# ---- planning: tonight's plans, a plan, adjustments and issue, the printable sheet ---------
urlpatterns = [
    path("", views_plan.overview, name="plan_overview"),
    path("rencana/buat/", views_plan.draft, name="plan_draft"),
    path("rencana/<int:pk>/", views_plan.detail, name="plan_detail"),
    path("rencana/<int:pk>/ubah/", views_plan.change, name="plan_change"),
    path("rencana/<int:pk>/lembar.pdf", views_plan.sheet, name="plan_pdf"),
]

# ---- the officer's phone page, its sync endpoint, dosage and effect reports ---------------
from kamtibmas.patrols import views_field  # noqa: E402

urlpatterns += [
    path("tugas/", views_field.field_home, name="field_home"),
    path("tugas/sw.js", views_field.field_service_worker, name="field_sw"),
    path("tugas/<int:plan_id>/", views_field.field_plan, name="field_plan"),
    path("tugas/<int:plan_id>/tim/<int:team_id>/", views_field.field_team, name="field_team"),
    path("sinkron/", views_field.field_sync, name="field_sync"),
]

from kamtibmas.patrols import views_dosage  # noqa: E402

urlpatterns += [
    path("dosis/", views_dosage.dosage_report, name="dosage"),
    path("dosis.csv", views_dosage.dosage_csv, name="dosage_csv"),
]

from kamtibmas.patrols import effect_views  # noqa: E402

urlpatterns += [path("dampak/", effect_views.effect_report, name="effect")]
