"""Install the shipped default archive scheme (seed 003, 学校档案建设基本要求) from
archives/data/default_scheme.json. Same rows as archives.services.default_scheme_install, written
with the historical models (a data migration never imports app code)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "default_scheme.json"


def install(apps, schema_editor):
    Scheme = apps.get_model("archives", "ArchiveScheme")
    Category = apps.get_model("archives", "ArchiveCategory")
    Volume = apps.get_model("archives", "ArchiveVolume")
    Item = apps.get_model("archives", "RequiredItem")
    if Scheme.objects.filter(is_default=True).exists():
        return
    data = json.loads(DATA.read_text(encoding="utf-8"))
    scheme = Scheme.objects.create(title=data["title"], box_label=data["box_label"], is_default=True)
    for c_no, cat in enumerate(data["categories"], start=1):
        category = Category.objects.create(scheme=scheme, order=c_no, title=cat["title"])
        for v_no, vol in enumerate(cat["volumes"], start=1):
            volume = Volume.objects.create(scheme=scheme, category=category, order=c_no * 10 + v_no, title=vol["title"])
            for i_no, item in enumerate(vol["items"], start=1):
                Item.objects.create(
                    scheme=scheme, volume=volume, order=i_no, title=item["title"], note=item.get("note", ""),
                    primary_years=item.get("primary_years", 0), junior_years=item.get("junior_years", 0),
                )


def uninstall(apps, schema_editor):
    apps.get_model("archives", "ArchiveScheme").objects.filter(is_default=True, plan__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("archives", "0001_archive_scheme_and_filings")]
    operations = [migrations.RunPython(install, uninstall)]
