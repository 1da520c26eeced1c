from django.contrib import admin

from acceptance.models import AcceptanceCriterion


@admin.register(AcceptanceCriterion)
class AcceptanceCriterionAdmin(admin.ModelAdmin):
    list_display = ("point", "category", "max_score", "applicable", "plan")
    list_filter = ("applicable",)
    search_fields = ("point", "category", "plan__title")
    list_select_related = ("plan",)
