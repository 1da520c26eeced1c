from django.urls import path

from history import views

app_name = "history"

urlpatterns = [
    path("", views.county_history, name="county"),
    path("plans/<int:pk>/", views.plan_history, name="plan"),
    path("people/<int:pk>/", views.person_history, name="person"),
    path("checkpoints/", views.checkpoints, name="checkpoints"),
]
