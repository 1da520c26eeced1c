"""Seeding for `manage.py bench http`, run inside the benchmark's own fresh database (a child
process: ``python -m bench.http_seed <users> <out.json>`` with that database's environment).

Builds the synthetic county of bench.scale (its users' password is ``SCALE_PASSWORD``) sized for
the simulated browsers, and gives every browser a stored, logged-in session of its account (what
the login page would create: 200 sign-ins with the production password hasher would cost the
server minutes of CPU that the mix is not about). Writes the browsers' accounts as JSON.
"""

from __future__ import annotations

import json
import math
import sys


def role_counts(users: int) -> dict[str, int]:
    """Browsers per role: 60 % members, 15 % offices, 15 % principals, the rest bureau users."""
    members = max(1, round(users * 0.60))
    office = max(1, round(users * 0.15)) if users > 1 else 0
    principal = max(1, round(users * 0.15)) if users > 2 else 0
    bureau = max(0, users - members - office - principal)
    return {"member": members, "office": office, "principal": principal, "bureau": bureau}


def seed(users: int, tasks_per_school: int = 90) -> dict:
    from bench.harness import session_key_for
    from bench.scale import SCALE_PASSWORD, build_scale
    from orgs.models import User
    from plans.models import Plan

    counts = role_counts(users)
    schools = max(2, math.ceil(counts["member"] / 3))
    result = build_scale(schools=schools, tasks_per_school=tasks_per_school, prefix="http")
    plans = {p.school.code: p.pk for p in Plan.objects.filter(school__parent=result.bureau).select_related("school")}

    def school_user(i: int, n: int) -> User:
        return User.objects.get(username=f"http_s{i:04d}_{n}")

    browsers = []
    # ROLES in bench.scale: 0 leader, 1 deputy, 2 office, 3-5 members.
    for k in range(counts["member"]):
        school, seat = k // 3 + 1, 3 + k % 3
        browsers.append(("member", school_user(school, seat), school))
    for k in range(counts["office"]):
        school = k % schools + 1
        browsers.append(("office", school_user(school, 2), school))
    for k in range(counts["principal"]):
        school = k % schools + 1
        browsers.append(("principal", school_user(school, 0), school))
    overseers = [User.objects.get(username="http_admin"), User.objects.get(username="http_inspector")]
    for k in range(counts["bureau"]):
        browsers.append(("bureau", overseers[k % 2], None))
    return {
        "password": SCALE_PASSWORD,
        "schools": schools,
        "tasks": result.tasks,
        "browsers": [
            {
                "role": role,
                "username": user.username,
                "session": session_key_for(user),
                "plan": plans.get(f"http-s{school:04d}") if school else None,
            }
            for role, user, school in browsers
        ],
    }


def main() -> None:
    import django

    django.setup()
    users, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(seed(users), fh)


if __name__ == "__main__":
    main()
