from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/end-others/", views.session_end_others, name="end_others"),
]
