"""Signing in and out; organisations and people pages for the bureau admin (and a centre school's
admin for its schools); every user's own password and profile. Pages ask the predicates of
orgs.permissions and call orgs.services; another county's ids answer 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from orgs import lockout, selectors, services
from orgs.forms import LoginForm, OrganisationForm, PasswordChangeForm, PersonForm, ProfileForm
from orgs.handout import handout_put, handout_take
from orgs.models import Organisation, User
from orgs.permissions import (
    can_administer,
    can_manage_account,
    can_manage_accounts,
    can_manage_cities,
    can_manage_organisations,
)

# Kinds a county's admin creates and edits; city and county bureaus are the superuser's (can_manage_cities).
COUNTY_KINDS = (Organisation.Kind.CENTRE, Organisation.Kind.SCHOOL)
TOP_KINDS = (Organisation.Kind.CITY, Organisation.Kind.BUREAU)
KIND_TITLES = {
    Organisation.Kind.CITY: "新增市教育局",
    Organisation.Kind.BUREAU: "新增县教育局",
    Organisation.Kind.CENTRE: "新增中心学校",
    Organisation.Kind.SCHOOL: "新增学校",
}


def _may_edit_kind(request: HttpRequest, org: Organisation | None, kind: str) -> bool:
    if kind in TOP_KINDS:
        return can_manage_cities(request.user)
    return kind in COUNTY_KINDS and can_manage_organisations(request.user, org)


def _parents_for(request: HttpRequest, kind: str):
    if kind == Organisation.Kind.BUREAU:
        return selectors.city_choices(request.user)
    return selectors.parent_choices(request.user)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def _managed_org(request: HttpRequest, pk: int) -> Organisation:
    return get_object_or_404(selectors.managed_organisations(request.user).select_related("parent"), pk=pk)


def _managed_person(request: HttpRequest, pk: int) -> User:
    managed = selectors.managed_organisations(request.user)
    return get_object_or_404(User.objects.select_related("organisation"), pk=pk, organisation__in=managed)


def _no_store(response: HttpResponse) -> HttpResponse:
    # The page shows a password: keep it out of caches and the back button.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def index(request: HttpRequest) -> HttpResponse:
    orgs = list(selectors.managed_organisations(request.user).select_related("parent").order_by("kind", "code"))
    if not orgs:
        raise Http404
    counts: dict[int, int] = {}
    for org_id in User.objects.filter(organisation__in=orgs, is_active=True).values_list("organisation_id", flat=True):
        counts[org_id] = counts.get(org_id, 0) + 1
    for org in orgs:
        org.people_count = counts.get(org.pk, 0)  # type: ignore[attr-defined]
    centres = [o for o in orgs if o.kind == Organisation.Kind.CENTRE]
    schools = [o for o in orgs if o.kind == Organisation.Kind.SCHOOL]
    offices = [o for o in orgs if o.kind in (Organisation.Kind.BUREAU, Organisation.Kind.SUPERVISION)]
    cities = [o for o in orgs if o.kind == Organisation.Kind.CITY]
    return render(
        request,
        "orgs/index.html",
        {
            "centres": centres,
            "schools": schools,
            "offices": offices,
            "cities": cities,
            "can_manage_organisations": can_manage_organisations(request.user),
            "can_manage_cities": can_manage_cities(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest, kind: str) -> HttpResponse:
    if not _may_edit_kind(request, None, kind):
        raise Http404
    parents = _parents_for(request, kind)
    bureau = parents.filter(kind=Organisation.Kind.BUREAU).first() if kind in COUNTY_KINDS else None
    form = OrganisationForm(request.POST or None, kind=kind, parents=parents, initial={"parent": bureau})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.organisation_create(
                actor=request.user,
                code=data["code"],
                name=data["name"],
                kind=kind,
                parent=data.get("parent") or bureau,
                township=data.get("township", ""),
                level=data.get("level", ""),
                address=data["address"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已创建“{org.name}”。")
            return redirect("orgs:organisation", org.pk)
    return render(request, "orgs/organisation_form.html", {"form": form, "title": KIND_TITLES[kind], "org": None})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    org = _managed_org(request, pk)
    if not _may_edit_kind(request, org, org.kind):
        raise Http404
    initial = {
        "name": org.name,
        "parent": org.parent,
        "township": org.township,
        "level": org.level,
        "address": org.address,
    }
    form = OrganisationForm(
        request.POST or None,
        kind=org.kind,
        parents=_parents_for(request, org.kind),
        editing=True,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.organisation_update(
                actor=request.user,
                organisation=org,
                name=data["name"],
                township=data.get("township", ""),
                level=data.get("level", ""),
                address=data["address"],
                parent=data.get("parent"),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。")
            return redirect("orgs:organisation", org.pk)
    return render(request, "orgs/organisation_form.html", {"form": form, "title": f"编辑 {org.name}", "org": org})


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = _managed_org(request, pk)
    people = list(selectors.organisation_people(request.user, org))
    locked = lockout.locked_usernames(p.username for p in people)
    for person in people:
        person.locked = person.username in locked  # type: ignore[attr-defined]
        person.manageable = can_manage_account(request.user, person) and person.pk != request.user.pk  # type: ignore[attr-defined]
    return render(
        request,
        "orgs/organisation_detail.html",
        {
            "org": org,
            "people": people,
            "can_edit": _may_edit_kind(request, org, org.kind),
            "can_add_people": can_manage_accounts(request.user, org),
        },
    )


def _with_role(request: HttpRequest, org: Organisation | None) -> bool:
    """The admin role is offered for bureau-side and centre accounts, by the bureau admin only."""
    return org is not None and org.kind != Organisation.Kind.SCHOOL and can_administer(request.user, org)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest, pk: int) -> HttpResponse:
    org = _managed_org(request, pk)
    if not can_manage_accounts(request.user, org):
        raise Http404
    form = PersonForm(request.POST or None, with_role=_with_role(request, org))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person, password = services.user_create_with_initial_password(
                actor=request.user,
                organisation=org,
                username=data["username"],
                full_name=data["full_name"],
                phone=data["phone"],
                position=data["position"],
                bureau_role=data.get("bureau_role", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _to_password_once(request, person, password, created=True)
    return render(request, "orgs/person_form.html", {"form": form, "org": org, "person": None})


def _to_password_once(request: HttpRequest, person: User, password: str, *, created: bool) -> HttpResponse:
    # Post/Redirect/Get: a refresh of the page that shows the password never resets it again.
    token = handout_put(request, {"person": person.pk, "password": password, "created": created})
    return redirect("orgs:password_once", token=token)


@login_required
@require_GET
def password_once(request: HttpRequest, token: str) -> HttpResponse:
    """Show a new initial password once; a refresh (or back) finds it gone and says so."""
    payload = handout_take(request, token)
    if payload is None:
        return _no_store(render(request, "orgs/password_once.html", {"gone": True}, status=410))
    person = _managed_person(request, payload["person"])
    context = {"person": person, "password": payload["password"], "created": payload["created"]}
    return _no_store(render(request, "orgs/password_once.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    if not can_manage_account(request.user, person):
        raise Http404
    with_role = _with_role(request, person.organisation) and person.pk != request.user.pk
    initial = {
        "full_name": person.full_name,
        "phone": person.phone,
        "position": person.position,
        "bureau_role": person.bureau_role,
    }
    form = PersonForm(request.POST or None, editing=True, with_role=with_role, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                actor=request.user,
                person=person,
                full_name=data["full_name"],
                phone=data["phone"],
                position=data["position"],
                bureau_role=data.get("bureau_role") if with_role else None,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已保存 {person.username} 的资料。")
            return redirect("orgs:organisation", person.organisation_id)
    return render(request, "orgs/person_form.html", {"form": form, "org": person.organisation, "person": person})


@login_required
@require_POST
def person_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, person=person, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号 {person.username}。")
    return redirect("orgs:organisation", person.organisation_id)


@login_required
@require_POST
def person_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    try:
        password = services.user_reset_password(actor=request.user, person=person)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:organisation", person.organisation_id)
    return _to_password_once(request, person, password, created=False)


@login_required
@require_POST
def person_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    person = _managed_person(request, pk)
    services.user_unlock(actor=request.user, person=person)
    messages.success(request, f"已解除 {person.username} 的登录锁定。")
    return redirect("orgs:organisation", person.organisation_id)


# --- one's own account ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None, initial={"full_name": user.full_name, "phone": user.phone, "email": user.email}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "个人资料已保存。")
            return redirect("orgs:profile")
    return render(request, "orgs/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            # Keep this session signed in; every other session of the user ends with the old hash.
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("home")
    return render(request, "orgs/password_change.html", {"form": form, "forced": request.user.must_change_password})
