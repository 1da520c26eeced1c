"""The plan and school pages keep their /plans/ addresses (and the ``plans:`` URL names)."""

from django.urls import path

from dashboards import pages

app_name = "plans"

urlpatterns = [
    path("<int:pk>/", pages.plan_detail, name="plan_detail"),
    path("schools/<int:pk>/", pages.school_detail, name="school_detail"),
]
