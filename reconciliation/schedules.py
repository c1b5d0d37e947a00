"""The periodic work, declared in code and upserted by `manage.py sync_schedules`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django_q.models import Schedule

PREFIX = "well:"


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    func: str
    minutes: int
    help: str


SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec(
        f"{PREFIX}dispatch",
        "reconciliation.tasks.dispatch_due_work",
        1,
        "Queue the folder polls that are due (per-workspace interval, at most 4 an hour) and "
        "the window closings (transactions, matching, posting) nobody triggered.",
    ),
    ScheduleSpec(
        f"{PREFIX}sweep",
        "reconciliation.tasks.sweep_stuck_work",
        5,
        "Return work whose worker died: expired posting leases, stuck parses, stale runs.",
    ),
    ScheduleSpec(
        f"{PREFIX}digest",
        "reconciliation.tasks.send_daily_digests",
        60,
        "E-mail each workspace administrator who wants it the daily digest, once per UTC day "
        "(from 06:00 UTC; a DigestSent row claimed before sending keeps it to one).",
    ),
)


@transaction.atomic
def sync_schedules() -> tuple[list[str], list[str]]:
    """Create or update every declared schedule by name; delete ours that are gone."""
    written = []
    for spec in SCHEDULES:
        Schedule.objects.update_or_create(
            name=spec.name,
            defaults={
                "func": spec.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": spec.minutes,
                "repeats": -1,
            },
        )
        written.append(spec.name)
    stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=written)
    removed = list(stale.values_list("name", flat=True))
    stale.delete()
    return written, removed
