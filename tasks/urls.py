from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("<int:pk>/", views.task_detail, name="task_detail"),
]
