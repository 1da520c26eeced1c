"""No English in the Django admin's headings, labels and help texts: a superuser walks the index,
every changelist and every add and change page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin

from orgs.models import User

pytestmark = pytest.mark.django_db

# Words that are names, not English sentences (product and format names, codes).
ALLOWED = {
    "SHA", "TOTP", "OTP", "URL", "IP", "JSON", "Excel", "PDF", "OFD", "AGPL", "ID", "XLSX", "xlsx",
    "HMAC", "HTTP", "Accept", "GET", "POST", "Unix", "LDAP", "Control", "Mac", "Command",
}
WORD = re.compile(r"[A-Za-z][A-Za-z']{2,}")
# Elements whose text is a heading, a label or a help text.
WATCHED = {"h1", "h2", "h3", "th", "label", "legend", "caption", "title", "button"}
WATCHED_CLASSES = {"help", "helptext", "breadcrumbs", "app-label", "model-label", "object-tools", "paginator"}


class Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "img", "input", "meta", "link", "hr"}:
            return
        classes = set((dict(attrs).get("class") or "").split())
        inherited = bool(self.stack and self.stack[-1])
        self.stack.append(inherited or tag in WATCHED or bool(classes & WATCHED_CLASSES))

    def handle_endtag(self, tag):
        if tag in {"br", "img", "input", "meta", "link", "hr"}:
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] and data.strip():
            self.found.append(data.strip())


def data_words() -> set[str]:
    """Words of the rows themselves (usernames, codes, action names, object names): data, not UI."""
    words: set[str] = set()
    for model in admin.site._registry:
        for obj in model.objects.all()[:200]:
            texts = [str(obj)] + [str(v) for v in vars(obj).values() if isinstance(v, str)]
            for text in texts:
                words.update(WORD.findall(text))
    return words


def english(html: str, data: set[str] = frozenset()) -> list[str]:
    parser = Texts()
    parser.feed(html)
    bad = []
    for text in parser.found:
        words = [w for w in WORD.findall(text) if w not in ALLOWED and w not in data]
        if words:
            bad.append(text)
    return bad


def test_admin_speaks_chinese_everywhere(client, county):
    root = User.objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    problems: dict[str, list[str]] = {}
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls.append(base)
        if model_admin.has_add_permission(_request(root)):
            urls.append(f"{base}add/")
        obj = model.objects.first()
        if obj is not None:
            urls.append(f"{base}{obj.pk}/change/")
    for app_label in {m._meta.app_label for m in admin.site._registry}:
        urls.append(f"/admin/{app_label}/")
    data = data_words()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        bad = english(response.content.decode(), data)
        if bad:
            problems[url] = sorted(set(bad))
    assert problems == {}


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_every_wrapped_admin_text_has_its_chinese_in_the_catalogue():
    from pathlib import Path

    from django.conf import settings

    from planhub.admin_chinese import catalogue_entries

    po = (Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = [english for english, _ in catalogue_entries() if f'msgid "{english}"' not in po]
    assert missing == [], "add these to locale/zh_Hans/LC_MESSAGES/django.po and run msgfmt"
