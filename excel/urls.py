from django.urls import path

from excel import roster_views, scoresheet_views, views

app_name = "excel"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.upload, name="upload"),
    path("import/<uuid:token>/", views.preview, name="preview"),
    path("import/<uuid:token>/confirm/", views.confirm, name="confirm"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("templates/<int:pk>/workbook.xlsx", views.export_template_workbook, name="template_workbook"),
    path("example.xlsx", views.example, name="example"),
    path("plans/<int:pk>/workbook.xlsx", views.export_plan_workbook, name="plan_workbook"),
    path("plans/<int:pk>/progress.xlsx", views.export_plan_progress, name="plan_progress"),
    path("plans/<int:pk>/evidence.xlsx", views.export_plan_evidence, name="plan_evidence"),
    path("county/summary.xlsx", views.export_county_summary, name="county_summary"),
    path("roster/", roster_views.roster_upload, name="roster_upload"),
    path("roster/<uuid:token>/", roster_views.roster_preview, name="roster_preview"),
    path("roster/<uuid:token>/confirm/", roster_views.roster_confirm, name="roster_confirm"),
    path("roster/done/<str:token>/", roster_views.roster_done, name="roster_done"),
    path("roster/done/<str:token>/passwords.xlsx", roster_views.roster_passwords, name="roster_passwords"),
    path("roster/example.xlsx", roster_views.roster_example, name="roster_example"),
    path("county/indicators.xlsx", views.export_county_indicators, name="county_indicators"),
    path("county/acceptance.xlsx", views.export_acceptance_results, name="acceptance_results"),
]

# The inspectors' 评分表 workbook (download, upload with dry run, one-time confirm).
urlpatterns += [
    path("applications/<int:pk>/scoresheet.xlsx", scoresheet_views.download, name="scoresheet"),
    path("applications/<int:pk>/scoresheet/", scoresheet_views.upload, name="scoresheet_upload"),
    path("scoresheet/<uuid:token>/", scoresheet_views.preview, name="scoresheet_preview"),
    path("scoresheet/<uuid:token>/confirm/", scoresheet_views.confirm, name="scoresheet_confirm"),
]
