from django.urls import path

from orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/<str:kind>/", views.organisation_create, name="organisation_create"),
    path("<int:pk>/", views.organisation_detail, name="organisation"),
    path("<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("<int:pk>/people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/active/", views.person_set_active, name="person_active"),
    path("people/<int:pk>/reset-password/", views.person_reset_password, name="person_reset"),
    path("people/password/<str:token>/", views.password_once, name="password_once"),
    path("people/<int:pk>/unlock/", views.person_unlock, name="person_unlock"),
    path("me/", views.profile, name="profile"),
    path("me/password/", views.password_change, name="password_change"),
]
