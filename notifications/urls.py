from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("feed/", views.feed, name="feed"),
    path("live/", views.versions, name="live_versions"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
]
