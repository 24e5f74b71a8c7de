"""When a campaign goes out, in words HR types: `now`, `2026-12-07 09:00`, `every mon 09:00`,
or a crontab line `0 9 * * mon`; always in the community's timezone."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "day")
EVERY = re.compile(r"^every\s+(mon|tue|wed|thu|fri|sat|sun|day)\w*\s+(\d{1,2}):(\d{2})$", re.I)
ONCE = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{1,2}):(\d{2})$")


class WhenError(ValueError):
    """HR's `when` is not understood; the message shows what is."""


def parse_when(text: str, timezone: str, now: datetime) -> tuple[datetime | None, str | None]:
    """(a single time, or None) and (a crontab rule for recurring pushes, or None)."""
    text = " ".join(text.split()).lower()
    zone = ZoneInfo(timezone)
    if text in ("", "now"):
        return now, None
    if match := ONCE.match(text):
        at = datetime.fromisoformat(f"{match[1]} {int(match[2]):02d}:{match[3]}").replace(
            tzinfo=zone
        )
        if at <= now:
            raise WhenError(f"{text} is in the past")
        return at, None
    if match := EVERY.match(text):
        day = "*" if match[1] == "day" else match[1][:3]
        rule = f"{int(match[3])} {int(match[2])} * * {day}"
        trigger(None, rule, timezone)
        return None, rule
    if len(text.split()) == 5:
        try:
            trigger(None, text, timezone)
        except ValueError as exc:
            raise WhenError(f"{text} is not a crontab rule ({exc})") from None
        return None, text
    raise WhenError(
        "say now, 2026-12-07 09:00, every mon 09:00, or a crontab rule like 0 9 * * mon"
    )


def trigger(at: datetime | None, rule: str | None, timezone: str) -> BaseTrigger:
    if rule:
        return CronTrigger.from_crontab(rule, timezone=ZoneInfo(timezone))
    assert at is not None
    return DateTrigger(run_date=at)


def next_run(
    at: datetime | None, rule: str | None, timezone: str, now: datetime
) -> datetime | None:
    """The next time a push fires after `now` (datetime in, datetime out: tested so)."""
    fire: datetime | None = trigger(at, rule, timezone).get_next_fire_time(None, now)
    return fire
