from django.urls import path

from acceptance import views

app_name = "acceptance"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("plans/<int:pk>/", views.plan_acceptance, name="plan_acceptance"),
    path("plans/<int:pk>/criteria/<int:criterion_pk>/rate/", views.criterion_rate, name="criterion_rate"),
    path("plans/<int:pk>/apply/", views.plan_apply, name="plan_apply"),
    path("plans/<int:pk>/rules/", views.form_rules, name="form_rules"),
    path("plans/<int:pk>/spot-check/", views.spot_open, name="spot_open"),
]

urlpatterns += [
    path("applications/<int:pk>/team/", views.team_set, name="team_set"),
    path("applications/<int:pk>/spot-team/", views.spot_team, name="spot_team"),
    path("applications/<int:pk>/inspection/", views.inspection, name="inspection"),
    path("applications/<int:pk>/rate/", views.inspector_rate, name="inspector_rate"),
    path("applications/<int:pk>/final/", views.final_set, name="final_set"),
    path("applications/<int:pk>/result/", views.result_record, name="result_record"),
    path("applications/<int:pk>/objection/", views.objection_add, name="objection_add"),
    path("applications/<int:pk>/finalise/", views.finalise, name="finalise"),
    path("applications/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
    path("rectification/<int:pk>/assign/", views.item_assign, name="item_assign"),
    path("rectification/<int:pk>/submit/", views.item_submit, name="item_submit"),
    path("rectification/<int:pk>/review/", views.item_review, name="item_review"),
    path("rectification/<int:pk>/evidence/", views.item_evidence, name="item_evidence"),
]
