"""When a campaign goes out, in words HR types: `now`, `2026-12-07 09:00`, `every mon 09:00`,
or a crontab line `0 9 * * mon`; always in the community's timezone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from bot.parsing import ParseError, clock, moment

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "day")
EVERY = re.compile(r"^every\s+(mon|tue|wed|thu|fri|sat|sun|day)\w*\s+(\S+)$", re.I)
ONCE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}[ t]\S+$")


class WhenError(ParseError):
    """HR's `when` is not understood; the message shows what is."""


def parse_when(text: str, timezone: str, now: datetime) -> tuple[datetime | None, str | None]:
    """(a single time, or None) and (a crontab rule for recurring pushes, or None)."""
    text = " ".join(text.split()).lower()
    if text in ("", "now"):
        return now, None
    if ONCE.match(text):
        try:
            at = moment(text, timezone)
        except ParseError as exc:
            raise WhenError(str(exc)) from None
        if at <= now:
            raise WhenError(f"{text} is in the past")
        return at, None
    if match := EVERY.match(text):
        try:
            hour = clock(match[2])
        except ParseError as exc:
            raise WhenError(str(exc)) from None
        day = "*" if match[1] == "day" else match[1][:3]
        return None, f"{hour.minute} {hour.hour} * * {day}"
    if len(text.split()) == 5:
        try:
            fires = trigger(None, text, timezone).get_next_fire_time(None, now)
        except ValueError as exc:
            raise WhenError(f"{text} is not a crontab rule ({exc})") from None
        if fires is None:
            raise WhenError(f"{text} never comes (no such day in any year)")
        return None, text
    raise WhenError(
        "say now, 2026-12-07 09:00, every mon 09:00, or a crontab rule like 0 9 * * mon"
    )


def trigger(at: datetime | None, rule: str | None, timezone: str) -> BaseTrigger:
    if rule:
        return CronTrigger.from_crontab(rule, timezone=ZoneInfo(timezone))
    assert at is not None
    return DateTrigger(run_date=at)


def latest_fire(rule: str, timezone: str, now: datetime) -> datetime | None:
    """The last time a recurring rule fired at or before `now` (within the past eight days),
    or None: what a daily duty should have run for last."""
    fires = trigger(None, rule, timezone)
    last, after = None, now - timedelta(days=8)
    while (fire := fires.get_next_fire_time(None, after)) is not None and fire <= now:
        last, after = fire, fire + timedelta(seconds=1)
    return last


def next_run(
    at: datetime | None, rule: str | None, timezone: str, now: datetime
) -> datetime | None:
    """The next time a push fires after `now` (datetime in, datetime out: tested so)."""
    fire: datetime | None = trigger(at, rule, timezone).get_next_fire_time(None, now)
    return fire
