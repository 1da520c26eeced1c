from django.urls import path

from dashboards import views as dashboard_views

app_name = "dashboards"

urlpatterns = [
    path("", dashboard_views.index, name="index"),
    path("county/", dashboard_views.county, name="county"),
    path("plans/<int:pk>/", dashboard_views.school, name="school"),
    path("indicators/<int:pk>/", dashboard_views.indicator_detail, name="indicator"),
    path("readings/<int:pk>/void/", dashboard_views.reading_void, name="reading_void"),
    path("readings/<int:pk>/evidence/", dashboard_views.reading_evidence, name="reading_evidence"),
]
