from django.urls import path

from workflows import views

app_name = "workflows"

urlpatterns = [
    path("stages/<int:pk>/", views.stage_gate, name="stage_gate"),
    path("stages/<int:pk>/sign/", views.stage_sign, name="stage_sign"),
]
