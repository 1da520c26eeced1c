from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("<int:pk>/act/<str:action>/", views.task_act, name="task_act"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("<int:pk>/comments/", views.comment_post, name="comment_post"),
    path("<int:pk>/comments/<int:comment_pk>/withdraw/", views.comment_withdraw, name="comment_withdraw"),
    path("<int:pk>/reminders/", views.task_reminders_page, name="task_reminders"),
    path("<int:pk>/nudge/", views.nudge, name="task_nudge"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("measures/<int:measure_pk>/new/", views.task_new, name="task_new"),
    path("measures/<int:measure_pk>/bulk-assign/", views.bulk_assign, name="bulk_assign"),
]
