"""Organisations ((city bureau →) bureau → supervision office / township centre school → school) and people."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase


class Organisation(models.Model):
    """A node of the tree: (city bureau →) county bureau → (supervision office) → (township centre
    school) → school. A city bureau (市教育局) is a root above county bureaus: its staff oversee
    every school of its counties, read-only."""

    class Kind(models.TextChoices):
        CITY = "city", "市教育局"
        BUREAU = "bureau", "教育局"
        SUPERVISION = "supervision", "督导室"
        CENTRE = "centre", "中心学校"
        SCHOOL = "school", "学校"

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    class Level(models.TextChoices):
        """学段 of a school (empty for the bureau, offices and centre schools)."""

        NONE = "", "—"
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        NINE_YEAR = "nine_year", "九年一贯制"
        COMPLETE = "complete", "完全中学"

    township = models.CharField("乡镇", max_length=50, blank=True)
    level = models.CharField("学段", max_length=16, choices=Level.choices, blank=True, default="")
    address = models.CharField("地址", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["code"]
        permissions = [("view_organisation_plans", "查看该单位的实施方案")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_school(self) -> bool:
        return self.kind == self.Kind.SCHOOL

    def ancestors(self) -> list[Organisation]:
        """Parents up to the root, nearest first (a handful of queries; the tree is shallow)."""
        chain: list[Organisation] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class User(AbstractUser):
    """A person. Every non-superuser belongs to exactly one organisation."""

    class BureauRole(models.TextChoices):
        NONE = "", "—"
        ADMIN = "admin", "局管理员"
        INSPECTOR = "inspector", "督导员"

    full_name = models.CharField("姓名", max_length=50, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    position = models.CharField("职务", max_length=50, blank=True)
    bureau_role = models.CharField("局端角色", max_length=16, choices=BureauRole.choices, blank=True, default="")
    phone = models.CharField("手机号", max_length=20, blank=True)
    # Set for accounts whose password an administrator chose (new, reset): they must pick their own.
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


# Direct-foreign-key object permission tables (django-guardian): organisations are granted per
# school only, and these tables join on integer keys instead of casting generic text ids.


class OrganisationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class OrganisationUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)
