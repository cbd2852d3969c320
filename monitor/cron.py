"""Five-field cron expressions as users write them, as APScheduler triggers.

Used by the configuration (to validate a channel's ``schedule`` with its line) and by the
scheduler (to run it). It imports APScheduler's trigger only, not the scheduler.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_days", "cron_trigger", "missed_slot"]

_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def cron_days(field: str) -> str:
    """Crontab day-of-week (0 or 7 = Sunday) as APScheduler day names (where 0 = Monday).

    APScheduler 3's `from_crontab` passes the numbers through unchanged, so "1-5" would mean
    Tuesday to Saturday; expanding to names keeps the crontab meaning users expect.
    """
    if not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            lo, hi = _day(a), _day(b)
        else:
            lo = hi = _day(rng)
            if step:
                hi = 6
        if hi < lo:  # "5-0": Friday to Sunday
            hi += 7
        days.update(d % 7 for d in range(lo, hi + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def _day(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit():
        return int(token) % 7
    return _DAYS.index(token[:3])


def cron_trigger(schedule: str, timezone: str) -> CronTrigger:
    """The trigger of a five-field cron ``schedule`` in ``timezone``. Raises ValueError
    (or IndexError) for an expression APScheduler cannot read."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"expected five fields, got {len(fields)}")
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=cron_days(dow),
        timezone=timezone,
    )


def missed_slot(trigger: CronTrigger, last_run: datetime | None, now: datetime) -> bool:
    """True if a slot of ``trigger`` fell between ``last_run`` and ``now``."""
    if last_run is None:
        return False
    nxt = trigger.get_next_fire_time(None, last_run + timedelta(seconds=1))
    return nxt is not None and nxt <= now
