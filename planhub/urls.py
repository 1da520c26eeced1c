from django.contrib import admin
from django.urls import include, path

from plans import views as plan_views

admin.site.site_header = "实施方案管理平台 · 系统管理"
admin.site.site_title = "实施方案管理平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", plan_views.home, name="home"),
    path("accounts/login/", plan_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", plan_views.LogoutView.as_view(), name="logout"),
    path("plans/", include("plans.urls")),
    path("tasks/", include("tasks.urls")),
    path("workflows/", include("workflows.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboards/", include("plans.dashboard_urls")),
    path("excel/", include("plans.excel.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "plans.views.error_400"
handler403 = "plans.views.error_403"
handler404 = "plans.views.error_404"
handler500 = "plans.views.error_500"
