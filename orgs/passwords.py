"""Initial passwords an administrator hands out (new accounts, resets); the person must change
theirs at first sign-in (``User.must_change_password``)."""

from __future__ import annotations

import secrets

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

# No 0/O, 1/l/I: the password is read off a printed sheet and typed by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def initial_password(length: int = 10) -> str:
    """A random password with at least one letter and one digit."""
    while True:
        password = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if any(c.isdecimal() for c in password) and any(c.isalpha() for c in password):
            return password


# Password rules with the project's own Chinese messages: Django's zh_Hans catalogue leaves the
# plural "too short" message in English (its plural forms are lost when catalogues merge), and
# people read these messages while choosing a password. Settings name these classes in
# AUTH_PASSWORD_VALIDATORS.


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    DEFAULT_USER_ATTRIBUTES = ("username", "full_name", "phone", "email")

    def __init__(self, user_attributes=DEFAULT_USER_ATTRIBUTES, max_similarity: float = 0.7):
        super().__init__(user_attributes=user_attributes, max_similarity=max_similarity)

    def get_error_message(self) -> str:
        return "密码与您的%(verbose_name)s太相似。"

    def get_help_text(self) -> str:
        return "密码不能与用户名、姓名、手机号等个人信息相似。"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜中。"

    def get_help_text(self) -> str:
        return "不能使用常见密码。"


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return "密码不能全是数字。"

    def get_help_text(self) -> str:
        return "密码不能全是数字。"


class InitialPasswordHasher(PBKDF2PasswordHasher):
    """For the random initial passwords of a roster import: PBKDF2 with fewer rounds, so that two
    thousand accounts hash in seconds rather than many minutes. Each such password is random
    (about 58 bits), shown once and must be changed at first sign-in; the first successful sign-in
    re-hashes it with the preferred hasher (Django upgrades hashes of non-preferred hashers)."""

    algorithm = "pbkdf2_sha256_initial"
    iterations = 4_000


def initial_password_hash(password: str) -> str:
    return make_password(password, hasher=InitialPasswordHasher())
