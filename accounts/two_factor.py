"""Two-factor sign-in with TOTP (django-otp): enrolment, confirmation, recovery codes.

A user enrols by scanning a QR code (rendered here, as SVG) into an authenticator app and typing
the six-digit code it shows; that confirms the device and yields ten one-time recovery codes.
Whether a session has passed the second factor is django-otp's: ``otp_device_id`` in the session.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from core.errors import DomainError

RECOVERY_CODES = 10
RECOVERY_DEVICE_NAME = "recovery"
TOTP_DEVICE_NAME = "authenticator"


def has_confirmed_device(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def session_passed_second_factor(session: Any, user: Any) -> bool:
    """The session names a confirmed device of this user (what django-otp's middleware checks)."""
    device_id = session.get(DEVICE_ID_SESSION_KEY)
    if not device_id:
        return False
    device = Device.from_persistent_id(device_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def enrolment_device(user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator (made once; a reload shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code in a data: URI (an <img>, so the page's policy
    needs no inline styles for it)."""
    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def totp_confirm(*, user: Any, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the user's new authenticator with a code it shows; return fresh recovery codes.

    Other authenticators of the user are removed: one phone at a time.
    """
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed:
        raise DomainError("该验证器已启用。")
    if not device.verify_token(token.strip().replace(" ", "")):
        raise DomainError("验证码不正确或已过期，请查看手机上的最新验证码后重试。")
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit_record(actor=user, action="accounts.two_factor.enabled", target=user)
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: Any) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    if not has_confirmed_device(user):
        raise DomainError("请先启用两步验证。")
    codes = _new_recovery_codes(user)
    audit_record(actor=user, action="accounts.two_factor.recovery_renewed", target=user)
    return codes


def _new_recovery_codes(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factor_verify(*, user: Any, token: str) -> Device | None:
    """The device that accepts this code: the authenticator, or a recovery code (used up)."""
    token = token.strip().replace(" ", "").lower()
    if not token:
        return None
    with transaction.atomic():
        for totp in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if totp.verify_is_allowed()[0] and totp.verify_token(token):
                return totp
        for static in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True):
            if static.verify_is_allowed()[0] and static.verify_token(token):
                audit_record(actor=user, action="accounts.two_factor.recovery_used", target=user)
                return static
    return None
