"""Login failures and configuration mistakes get clear messages, never tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_login_page_is_chinese(client):
    body = client.get("/accounts/login/").content.decode()
    assert "用户名" in body and "密码" in body and "登录" in body


@pytest.mark.django_db
def test_wrong_password_gets_a_clear_message(client, county):
    response = client.post("/accounts/login/", {"username": county.a.leader.username, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_disabled_account_is_told_so_only_with_the_right_password(client, county):
    user = county.a.member
    user.is_active = False
    user.save()
    right = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).content.decode()
    assert "该账号已停用" in right
    wrong = client.post("/accounts/login/", {"username": user.username, "password": "nope"}).content.decode()
    assert "该账号已停用" not in wrong and "用户名或密码不正确" in wrong
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_login_then_home(client, county):
    response = client.post("/accounts/login/", {"username": county.a.member.username, "password": PASSWORD}, follow=True)
    body = response.content.decode()
    assert "我的任务" in body and "印发文件" in body


def _manage(args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_missing_variable_in_production_is_a_clear_message(missing):
    env = {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org"}
    env.pop(missing)
    result = _manage(["check"], env)
    assert result.returncode == 2
    assert f"Missing environment variable {missing}" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_check_deploy():
    result = _manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"SECRET_KEY": "k3y-" + "a1b2c3d4e5" * 6, "ALLOWED_HOSTS": "plans.example.org"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_collectstatic_builds_the_hashed_compressed_files(tmp_path):
    """What `make run` and a production deploy do; every asset is served by the project itself."""
    result = _manage(
        ["collectstatic", "--noinput", "--verbosity", "0"],
        {"SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org", "STATIC_ROOT": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("css/app.*.css.gz"))


@pytest.mark.parametrize(("value", "expected"), [(None, "None None"), ("0", "None None"), ("1", "True 5")])
def test_postgresql_binds_on_the_server_when_asked(value, expected):
    """Server-side binding (and with it psycopg's prepared statements) is a choice:
    DB_SERVER_SIDE_BINDING=1 turns it on, client-side binding stays the default."""
    env = {"DEBUG": "1", "DATABASE_URL": "postgres://planhub@db.invalid:5432/planhub"}
    if value is not None:
        env["DB_SERVER_SIDE_BINDING"] = value
    result = _manage(
        [
            "shell",
            "-c",
            "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS'];"
            " print(o.get('server_side_binding'), o.get('prepare_threshold'))",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
