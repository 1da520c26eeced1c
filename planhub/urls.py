from django.contrib import admin
from django.urls import include, path

from dashboards import pages
from orgs import views as org_views
from planhub import csp
from workflows import views as workflow_views

admin.site.site_header = "实施方案管理平台 · 系统管理"
admin.site.site_title = "实施方案管理平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", pages.home, name="home"),
    path("accounts/login/", org_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", org_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("accounts.urls")),
    path("plans/", include("dashboards.plan_urls")),
    # 我的待办 spans tasks and gates (workflows); it keeps the address it has always had.
    path("tasks/inbox/", workflow_views.inbox, name="inbox"),
    path("tasks/", include("tasks.urls")),
    path("workflows/", include("workflows.urls")),
    path("acceptance/", include("acceptance.urls")),
    path("archives/", include("archives.urls")),
    path("notifications/", include("notifications.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("excel/", include("excel.urls")),
    path("history/", include("history.urls")),
    path("orgs/", include("orgs.urls")),
    path("admin/", admin.site.urls),
    path("csp-report/", csp.report, name="csp_report"),
]

handler400 = "planhub.views.error_400"
handler403 = "planhub.views.error_403"
handler404 = "planhub.views.error_404"
handler500 = "planhub.views.error_500"
