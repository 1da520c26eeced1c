from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

from orgs.models import Organisation, User
from orgs.phones import normalize_phone


class LoginForm(AuthenticationForm):
    """Django's login form, plus a plain message for a disabled account.

    The disabled message is shown only when the password is right, so it tells a stranger nothing.
    """

    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。注意区分大小写。",
        "inactive": "该账号已停用，请联系本单位管理员。",
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


class PhoneField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return normalize_phone(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class OrganisationForm(forms.Form):
    """A city bureau, county bureau, centre school or school. The code is asked only when creating
    (it names grant groups); a county bureau's parent is its city, optional."""

    code = forms.SlugField(label="单位代码", max_length=32, help_text="字母、数字、短横线，创建后不可修改。")
    name = forms.CharField(label="名称", max_length=100)
    parent = forms.ModelChoiceField(label="上级单位", queryset=Organisation.objects.none(), empty_label=None)
    township = forms.CharField(label="乡镇", max_length=50, required=False)
    level = forms.ChoiceField(label="学段", choices=Organisation.Level.choices, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)

    def __init__(self, *args, kind: str, parents, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents
        if editing:
            del self.fields["code"]
        if kind == Organisation.Kind.BUREAU:
            del self.fields["level"]
            del self.fields["township"]
            self.fields["parent"].label = "所属市教育局"
            self.fields["parent"].required = False
            self.fields["parent"].empty_label = "（不属于任何市）"
        elif kind != Organisation.Kind.SCHOOL:
            del self.fields["level"]
            del self.fields["parent"]
            if kind == Organisation.Kind.CITY:
                del self.fields["township"]
        else:
            self.fields["level"].choices = [("", "请选择…")] + Organisation.Level.choices[1:]
            self.fields["level"].required = True


class PersonForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    username = forms.CharField(label="用户名", max_length=150, help_text="登录用，创建后不可修改。")
    phone = PhoneField(label="手机号", max_length=20, required=False)
    position = forms.CharField(label="职务", max_length=50, required=False)
    bureau_role = forms.ChoiceField(label="管理员角色", choices=User.BureauRole.choices, required=False)

    def __init__(self, *args, editing: bool = False, with_role: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["username"]
        if not with_role:
            del self.fields["bureau_role"]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = PhoneField(label="手机号", max_length=20, required=False)
    email = forms.EmailField(label="电子邮箱", required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password1 = forms.CharField(label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(
        label="再次输入新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data
