"""Two-factor sign-in (issue 13, point 5): TOTP for bureau, supervision-office, centre-school and
staff accounts when TWO_FACTOR_REQUIRED is on; school members keep password sign-in."""

from __future__ import annotations

import re
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEntry
from planhub.asgi import application
from tests.factories import PASSWORD, UserFactory
from tests.notifications.test_websocket import isolated_layer, keep_the_test_connection, scenario  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.TWO_FACTOR_REQUIRED = True


class PassThroughBackend:
    """An authentication backend in front of ModelBackend that decides nothing (as django-axes does
    for a user who is not locked out)."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None


def sign_in(user) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def enrol(client: Client, user) -> list[str]:
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/two-factor/", {"token": code_for(device)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())


@pytest.mark.parametrize("who", ["bureau_admin", "inspector", "centre_head", "school_staff_account"])
def test_overseeing_and_staff_accounts_must_enrol_before_anything_else(county, who):
    user = UserFactory(organisation=county.a.school, is_staff=True) if who == "school_staff_account" else getattr(county, who)
    client = sign_in(user)
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"] == "/accounts/two-factor/?next=%2Fnotifications%2F"
    assert client.get("/notifications/feed/", HTTP_ACCEPT="application/json").status_code == 401
    page = client.get(response["Location"]).content.decode()
    assert "启用两步验证" in page and 'src="data:image/svg+xml;base64,' in page
    codes = enrol(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/notifications/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.two_factor.enabled", actor_id=user.pk).count() == 1


def test_school_members_keep_password_sign_in(county):
    client = sign_in(county.a.member)
    assert client.get("/").status_code == 200


def test_the_setting_turns_enforcement_off(county, settings):
    settings.TWO_FACTOR_REQUIRED = False
    client = sign_in(county.bureau_admin)
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_held_back_by_throttling(county):
    user = county.bureau_admin
    enrol(sign_in(user), user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    client = sign_in(user)
    wrong = f"{(int(code_for(device, offset=1)) + 1) % 1000000:06d}"
    assert client.post("/accounts/two-factor/verify/", {"token": wrong}).status_code == 200
    assert client.post("/accounts/two-factor/verify/", {"token": code_for(device, offset=1)}).status_code == 200
    assert client.get("/").status_code == 302


def test_a_wrong_code_does_not_enrol(county):
    client = sign_in(county.inspector)
    client.get("/accounts/two-factor/")
    device = TOTPDevice.objects.get(user=county.inspector)
    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"
    response = client.post("/accounts/two-factor/", {"token": wrong})
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").status_code == 302


def test_the_next_sign_in_asks_for_a_code_and_a_recovery_code_works_once(county):
    user = county.bureau_admin
    codes = enrol(sign_in(user), user)
    client = sign_in(user)
    response = client.get("/")
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert "两步验证" in client.get(response["Location"]).content.decode()
    response = client.post("/accounts/two-factor/verify/", {"token": codes[0].upper(), "next": "/excel/"})
    assert response.status_code == 302 and response["Location"] == "/excel/"
    assert client.get("/").status_code == 200
    again = sign_in(user)
    assert "验证码不正确" in again.post("/accounts/two-factor/verify/", {"token": codes[0]}).content.decode()
    assert again.get("/").status_code == 302


def test_a_code_from_the_authenticator_signs_in_and_cannot_be_replayed(county):
    user = county.centre_head
    enrol(sign_in(user), user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    client = sign_in(user)
    code = code_for(device, offset=1)  # the enrolment used this step's code: the next step's is within tolerance
    assert client.post("/accounts/two-factor/verify/", {"token": code}).status_code == 302
    assert client.get("/").status_code == 200
    replay = sign_in(user)
    assert replay.post("/accounts/two-factor/verify/", {"token": code}).status_code == 200
    assert replay.get("/").status_code == 302


def test_a_school_member_who_enrolled_is_asked_too(county, settings):
    settings.TWO_FACTOR_REQUIRED = False
    user = county.a.member
    codes = enrol(sign_in(user), user)
    client = sign_in(user)
    assert client.get("/")["Location"].startswith("/accounts/two-factor/verify/")
    client.post("/accounts/two-factor/verify/", {"token": codes[1]})
    assert client.get("/").status_code == 200


def test_the_login_flow_works_with_another_backend_in_front(county, settings):
    settings.AUTHENTICATION_BACKENDS = [f"{__name__}.PassThroughBackend", *settings.AUTHENTICATION_BACKENDS]
    user = county.bureau_admin
    codes = enrol(sign_in(user), user)
    client = sign_in(user)
    client.post("/accounts/two-factor/verify/", {"token": codes[2]})
    assert client.get("/").status_code == 200


def test_recovery_codes_can_be_renewed_and_the_old_ones_stop_working(county):
    user = county.bureau_admin
    client = sign_in(user)
    old = enrol(client, user)
    page = client.get("/accounts/two-factor/").content.decode()
    assert "已启用" in page
    new = re.findall(r"<li><code>([a-z0-9]+)</code></li>", client.post("/accounts/two-factor/recovery-codes/").content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    other = sign_in(user)
    assert other.post("/accounts/two-factor/verify/", {"token": old[0]}).status_code == 200
    time.sleep(1.1)  # a failure holds the next try back for a second (django-otp's throttling)
    assert other.post("/accounts/two-factor/verify/", {"token": new[0]}).status_code == 302


def test_a_socket_waits_for_the_second_factor(county):
    user = county.bureau_admin
    client = sign_in(user)

    async def connect():
        key = client.cookies["sessionid"].value
        headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={key}".encode())]
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await socket.connect()
        if connected:
            await socket.disconnect()
        return connected

    async def before():
        assert not await connect()

    scenario(before)
    enrol(client, user)

    async def after():
        assert await connect()

    scenario(after)
