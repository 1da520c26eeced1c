from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form, plus a plain message for a disabled account.

    The disabled message is shown only when the password is right, so it tells a stranger nothing.
    """

    error_messages = {
        "invalid_login": "用户名或密码不正确,请重新输入。注意区分大小写。",
        "inactive": "该账号已停用,请联系本单位管理员。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "placeholder": "用户名"})
        self.fields["password"].widget.attrs.update({"placeholder": "密码"})

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            user = get_user_model().objects.filter(username=username, is_active=False).first()
            if user is not None and user.check_password(password):
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().clean()
