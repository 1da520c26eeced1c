"""The Django admin covers every model of the project, and its pages render for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from plans.models import User

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("plans", "tasks", "workflows", "notifications")


def test_every_project_model_is_in_the_admin():
    missing = [
        m._meta.label
        for label in PROJECT_APPS
        for m in apps.get_app_config(label).get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


def test_admin_pages_render_for_a_superuser(client, county):
    root = User.objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            assert client.get(f"{url}{obj.pk}/change/").status_code == 200, url
