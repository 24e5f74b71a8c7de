"""One place reads what people type into numbers, durations, dates and options, for every
command and form.

Everything is bounded on the way in: an id that no table can hold, a duration no timer can
wait or a date no calendar has is answered here with what was expected, instead of failing
later in a database driver, a `timedelta` or APScheduler with a traceback.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.router import UsageError
from storage.types import row_id

LONGEST = timedelta(days=3650)  # ten years: the longest wait or window any command means
YEARS = (2000, 2099)  # the dates a community schedules, codes expire and jobs close in
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"^(\d{1,9})([mhdw])$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
# Control characters, and what reorders or hides text without showing itself: bidirectional
# overrides, embeddings and isolates (U+202A-E, U+2066-9), zero-width spaces and the byte
# order mark. Joiners (U+200C, U+200D) stay: scripts and emoji need them.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u2069\ufeff]"
)


class ParseError(UsageError):
    """What was typed is not what the command takes; the message says what it takes."""


def clean(text: str) -> str:
    """Typed text without control characters (a NUL is refused by PostgreSQL, and none of
    them means anything in a profile, a title or a comment), nor the invisible ones that turn
    what HR reads around (a right-to-left override in a name); lines and tabs stay."""
    return _UNSAFE.sub("", text)


def bounded(text: str, what: str, most: int) -> str:
    """`text` when it fits in `most` characters; else the limit, said out loud (nothing is
    ever cut short without a word)."""
    if len(text) > most:
        raise ParseError(f"{what} can be at most {most:,} characters (this has {len(text):,})")
    return text


def web_link(text: str) -> bool:
    """An http(s) address with a host: never `javascript:` or `data:`, which a chat or a
    browser would run when someone follows it."""
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text.strip()


def ident(text: str) -> int | None:
    """`12` or `#12` as an id, or None when it cannot be one (the caller says what is missing)."""
    return row_id(text)


def whole(text: str, what: str, least: int, most: int) -> int:
    """A whole number from `least` to `most`."""
    digits = text.strip()
    if digits.isascii() and digits.isdigit() and len(digits) <= 12 and least <= int(digits) <= most:
        return int(digits)
    raise ParseError(f"{what} is a whole number from {least} to {most}")


def duration(text: str, what: str = "it", longest: timedelta = LONGEST) -> timedelta:
    """`30m`, `12h`, `30d` or `2w`, more than nothing and at most `longest`."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ParseError(f"{what} takes a duration such as 30d, 12h or 2w")
    amount = int(match[1])
    if amount == 0 or amount * _unit(match[2]) > longest:
        raise ParseError(f"{what} takes a duration of at most {longest.days} days, and not 0")
    return timedelta(**{UNITS[match[2]]: amount})


def _unit(letter: str) -> timedelta:
    return timedelta(**{UNITS[letter]: 1})


def day(text: str, what: str = "it") -> date:
    """A calendar date `YYYY-MM-DD` within `YEARS`."""
    match = _DAY.match(text.strip())
    if not match:
        raise ParseError(f"{what} takes a date such as 2026-12-31")
    year, month, number = int(match[1]), int(match[2]), int(match[3])
    if not YEARS[0] <= year <= YEARS[1]:
        raise ParseError(f"{match[0]}: the year should be from {YEARS[0]} to {YEARS[1]}")
    try:
        return date(year, month, number)
    except ValueError:
        raise ParseError(f"{match[0]} is not a date in the calendar") from None


def clock(text: str) -> time:
    """A time of day `HH:MM`."""
    match = _CLOCK.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ParseError(f"{text.strip()[:10]} is not a time of day: write it as 09:00")
    return time(int(match[1]), int(match[2]))


def moment(text: str, timezone: str) -> datetime:
    """`YYYY-MM-DD HH:MM` in the community's timezone, as an aware datetime."""
    when, _, hour = " ".join(text.split()).replace("T", " ").partition(" ")
    if not hour:
        raise ParseError(f"{text.strip()[:20]} is not a date and time such as 2026-12-24 18:00")
    return datetime.combine(day(when, "the date"), clock(hour), ZoneInfo(timezone))


def end_of(on: date, timezone: str) -> datetime:
    """The first moment after `on` in the community's timezone (when an expiry takes hold)."""
    return datetime.combine(on + timedelta(days=1), time(), ZoneInfo(timezone))


def options(text: str, known: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """`key=value` tokens of `known` keys (lower-cased), and the other words in order."""
    found: dict[str, str] = {}
    words: list[str] = []
    for token in text.split():
        key, sep, value = token.partition("=")
        if not sep:
            words.append(token)
            continue
        key = key.lower()
        if key not in known or not value:
            named = ", ".join(f"{k}=" for k in known)
            raise ParseError(f"{token[:30]} is not an option ({named})")
        found[key] = value
    return found, words
