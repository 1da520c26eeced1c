from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/end-others/", views.session_end_others, name="end_others"),
    path("two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes_renew, name="recovery_codes_renew"),
]
