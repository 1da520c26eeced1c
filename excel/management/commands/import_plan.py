"""`manage.py import_plan FILE --school CODE [--dry-run]`: import a plan workbook.

Creates a new plan for the school (or, with --plan ID, adds to an existing plan). All or nothing:
any problem leaves the database as it was. Exits 0 only when the import (or the dry run) is clean;
1 when the workbook has problems, 2 when the file is refused or the arguments are wrong.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from excel.importer import Target
from excel.models import WorkbookImport
from excel.safety import WorkbookRefused
from excel.services import ImportOutcome, plan_import
from orgs.models import Organisation, User
from plans.models import Plan


class Command(BaseCommand):
    help = "Import a plan workbook (.xlsx) for a school: all or nothing; --dry-run shows what would be created."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument("--school", help="organisation code of the school that gets the new plan")
        parser.add_argument("--plan", type=int, help="id of an existing plan to add the workbook's contents to")
        parser.add_argument("--title", default="", help="plan title (default: the title row above the header)")
        parser.add_argument("--year", type=int, help="plan year (default: the year of the earliest date)")
        parser.add_argument("--as-user", help="import as this user (permission checks and audit); default: system")
        parser.add_argument("--dry-run", action="store_true", help="check and show, write nothing")

    def handle(self, *args, **options):
        target = self._target(options)
        actor = None
        if options["as_user"]:
            actor = User.objects.filter(username=options["as_user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"没有用户 {options['as_user']}。", returncode=2)
        try:
            with open(options["file"], "rb") as handle:
                outcome = plan_import(
                    actor=actor,
                    fileobj=handle,
                    target=target,
                    dry_run=options["dry_run"],
                    source_name=options["file"].rsplit("/", 1)[-1],
                )
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{options['file']}", returncode=2) from exc
        except WorkbookRefused as exc:
            raise CommandError(f"文件被拒绝：{exc.message}", returncode=2) from exc
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        except PermissionDenied as exc:
            raise CommandError(f"无权导入：{getattr(exc, 'message', exc)}", returncode=2) from exc
        self._report(outcome, target, options["dry_run"])
        if outcome.errors:
            raise CommandError(f"有 {len(outcome.errors)} 个错误，未写入任何数据。", returncode=1)

    def _target(self, options) -> Target:
        if bool(options["school"]) == bool(options["plan"]):
            raise CommandError("请指定 --school CODE（新建方案）或 --plan ID（导入到已有方案），二者选一。", returncode=2)
        if options["plan"]:
            plan = Plan.objects.select_related("school").filter(pk=options["plan"]).first()
            if plan is None:
                raise CommandError(f"没有编号为 {options['plan']} 的方案。", returncode=2)
            return Target(kind=WorkbookImport.Kind.INTO_PLAN, plan=plan)
        school = Organisation.objects.filter(code=options["school"], kind=Organisation.Kind.SCHOOL).first()
        if school is None:
            raise CommandError(f"没有代码为 {options['school']} 的学校。", returncode=2)
        return Target(kind=WorkbookImport.Kind.NEW_PLAN, school=school, title=options["title"], year=options["year"])

    def _report(self, outcome: ImportOutcome, target: Target, dry_run: bool) -> None:
        counts = outcome.spec.counts()
        where = target.plan if target.plan else f"{target.school.name} ·“{target.title}”（{target.year} 年度）"
        self.stdout.write(f"目标：{where}")
        self.stdout.write(
            "{verb}：阶段 {stages}，措施 {measures}，任务 {tasks}，指标 {indicators}，评估要点 {criteria}".format(
                verb="将创建" if dry_run or outcome.errors else "已创建", **counts
            )
        )
        resolution = outcome.resolution
        if resolution is not None:
            if resolution.copied_seats:
                self.stdout.write(f"领导小组：沿用“{resolution.source_plan}”的 {len(resolution.copied_seats)} 人")
            for seat in resolution.named_seats:
                self.stdout.write(f"加入领导小组：{seat.user}({seat.role_label})")
            if resolution.unassigned:
                self.stdout.write(f"待分派任务：{resolution.unassigned}")
        for problem in outcome.problems:
            (self.stderr if problem.is_error else self.stdout).write(str(problem))
        if outcome.plan is not None:
            self.stdout.write(self.style.SUCCESS(f"导入完成：方案编号 {outcome.plan.pk}"))
        elif dry_run and not outcome.errors:
            self.stdout.write(self.style.SUCCESS("试导入通过，未写入任何数据。"))
