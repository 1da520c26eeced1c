from django.urls import path

from acceptance import views

app_name = "acceptance"

urlpatterns = [
    path("plans/<int:pk>/", views.plan_acceptance, name="plan_acceptance"),
    path("plans/<int:pk>/criteria/<int:criterion_pk>/rate/", views.criterion_rate, name="criterion_rate"),
    path("plans/<int:pk>/apply/", views.plan_apply, name="plan_apply"),
    path("plans/<int:pk>/rules/", views.form_rules, name="form_rules"),
]
