from django.urls import path

from archives import views

app_name = "archives"

urlpatterns = [
    path("plans/<int:pk>/", views.archive_page, name="archive"),
    path("plans/<int:pk>/open/", views.archive_open, name="open"),
    path("plans/<int:pk>/scheme/", views.plan_scheme_set, name="plan_scheme_set"),
    path("plans/<int:pk>/filings/", views.filing_create, name="filing_create"),
    path("plans/<int:pk>/filings/<int:filing_pk>/", views.filing_update, name="filing_update"),
    path("plans/<int:pk>/filings/<int:filing_pk>/remove/", views.filing_remove, name="filing_remove"),
    path("plans/<int:pk>/filings/<int:filing_pk>/move/", views.filing_move, name="filing_move"),
    path("plans/<int:pk>/catalogue.<str:fmt>", views.catalogue_download, name="catalogue"),
    path("plans/<int:pk>/archive.zip", views.archive_download, name="zip"),
    path("schemes/", views.scheme_list, name="schemes"),
    path("schemes/<int:pk>/", views.scheme_detail, name="scheme"),
    path("schemes/<int:pk>/copy/", views.scheme_copy, name="scheme_copy"),
    path("schemes/<int:pk>/copy-to-template/", views.scheme_copy_to_template, name="scheme_copy_to_template"),
    path("schemes/<int:pk>/update/", views.scheme_update, name="scheme_update"),
    path("schemes/<int:pk>/categories/", views.category_save, name="category_save"),
    path("schemes/<int:pk>/volumes/", views.volume_save, name="volume_save"),
    path("schemes/<int:pk>/items/", views.item_save, name="item_save"),
    path("schemes/<int:pk>/items/delete/", views.item_delete, name="item_delete"),
]
