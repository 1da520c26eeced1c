"""The plan and school pages keep their /plans/ addresses (and the ``plans:`` URL names)."""

from django.urls import path

from dashboards import leading_group, pages, plan_edit

app_name = "plans"

urlpatterns = [
    path("<int:pk>/", pages.plan_detail, name="plan_detail"),
    path("schools/<int:pk>/", pages.school_detail, name="school_detail"),
    path("<int:pk>/leading-group/", leading_group.leading_group, name="leading_group"),
    path("<int:pk>/leading-group/seat/", leading_group.seat_save, name="seat_save"),
    path("<int:pk>/leading-group/seat/<int:user_pk>/remove/", leading_group.seat_remove, name="seat_remove"),
    path("<int:pk>/leading-group/working-group/", leading_group.working_group_add, name="working_group_add"),
    path("<int:pk>/edit/", plan_edit.plan_edit, name="plan_edit"),
    path("<int:pk>/edit/stages/<int:stage_pk>/", plan_edit.stage_window, name="stage_window"),
    path("<int:pk>/edit/stages/new/", plan_edit.stage_add, name="stage_add"),
    path("<int:pk>/measures/<int:measure_pk>/edit/", plan_edit.measure_edit, name="measure_edit"),
    path("<int:pk>/measures/<int:measure_pk>/cancel/", plan_edit.measure_cancel, name="measure_cancel"),
    path("<int:pk>/edit/shift/", plan_edit.dates_shift, name="dates_shift"),
    path("templates/<int:pk>/dates/", plan_edit.template_dates, name="template_dates"),
    path("templates/<int:pk>/dates/shift/", plan_edit.template_dates_shift, name="template_dates_shift"),
    path("<int:pk>/leading-group/copy/", leading_group.leading_group_copy, name="leading_group_copy"),
]
