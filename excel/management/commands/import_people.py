"""`manage.py import_people FILE [--bureau CODE] [--as-user NAME] [--dry-run] [--passwords OUT.xlsx]`:
import a roster of schools and staff.

All or nothing: any problem leaves the database as it was. Exit codes as `import_plan`: 0 when the
import (or the dry run) is clean; 1 when the workbook has problems; 2 when the file is refused or
the arguments are wrong. The initial passwords of new accounts go to --passwords (default:
initial-passwords-<date>.xlsx beside the roster), once; they are stored nowhere else.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.errors import DomainError
from excel.roster import RosterOutcome, passwords_workbook, roster_import
from excel.safety import WorkbookRefused
from orgs.models import Organisation, User
from orgs.permissions import user_bureau


class Command(BaseCommand):
    help = "Import a roster workbook (.xlsx) of schools and staff: all or nothing; --dry-run shows what would change."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx roster")
        parser.add_argument("--bureau", help="organisation code of the county's bureau (default: --as-user's bureau)")
        parser.add_argument(
            "--as-user", help="import as this bureau admin (permission checks and audit); default: system"
        )
        parser.add_argument("--passwords", help="where to write the initial passwords of new accounts (.xlsx)")
        parser.add_argument("--dry-run", action="store_true", help="check and show, write nothing")

    def handle(self, *args, **options):
        actor = self._actor(options["as_user"])
        bureau = self._bureau(options["bureau"], actor)
        try:
            with open(options["file"], "rb") as handle:
                outcome = roster_import(actor=actor, bureau=bureau, fileobj=handle, dry_run=options["dry_run"])
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{options['file']}", returncode=2) from exc
        except WorkbookRefused as exc:
            raise CommandError(f"文件被拒绝：{exc.message}", returncode=2) from exc
        except PermissionDenied as exc:
            raise CommandError(f"无权导入：{getattr(exc, 'message', exc)}", returncode=2) from exc
        except DomainError as exc:
            raise CommandError(exc.message, returncode=1) from exc
        self._report(outcome, options)
        if outcome.errors:
            raise CommandError(f"有 {len(outcome.errors)} 个错误，未写入任何数据。", returncode=1)

    def _actor(self, username: str | None) -> User | None:
        if not username:
            return None
        actor = User.objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(f"没有用户 {username}。", returncode=2)
        return actor

    def _bureau(self, code: str | None, actor: User | None) -> Organisation:
        if code:
            bureau = Organisation.objects.filter(code=code, kind=Organisation.Kind.BUREAU).first()
            if bureau is None:
                raise CommandError(f"没有代码为 {code} 的教育局。", returncode=2)
            return bureau
        bureau = user_bureau(actor) if actor is not None else None
        if bureau is None:
            raise CommandError("请用 --bureau CODE 指定教育局（或用 --as-user 指定该局的管理员）。", returncode=2)
        return bureau

    def _report(self, outcome: RosterOutcome, options) -> None:
        resolution = outcome.resolution
        if resolution is not None:
            c = resolution.counts()
            verb = "已" if outcome.written else "将"
            self.stdout.write(
                f"{verb}新建学校 {c['schools_new']} 所，{verb}修改学校 {c['schools_changed']} 所；"
                f"{verb}新建账号 {c['people_new']} 个，{verb}修改账号 {c['people_changed']} 个；"
                f"领导小组席位 {c['seats']} 个"
            )
        for problem in outcome.problems:
            (self.stderr if problem.is_error else self.stdout).write(str(problem))
        if outcome.written:
            if outcome.passwords:
                target = Path(
                    options["passwords"]
                    or Path(options["file"]).with_name(f"initial-passwords-{timezone.localdate():%Y%m%d}.xlsx")
                )
                passwords_workbook(outcome.passwords).save(str(target))
                self.stdout.write(f"初始密码表：{target}（请妥善分发，用后销毁）")
            self.stdout.write(self.style.SUCCESS("导入完成。"))
        elif options["dry_run"] and not outcome.errors:
            self.stdout.write(self.style.SUCCESS("试导入通过，未写入任何数据。"))
