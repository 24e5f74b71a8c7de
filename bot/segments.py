"""Segments: which members a command or a campaign means, in the words HR types
(`function=engineering label=alumni active=30d consent=jobs`) and as a campaign keeps them.

One place for the whole round trip: typed words to a `MemberFilter`, a filter to the JSON a
campaign stores, and that JSON back to a filter when the campaign launches.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import fields
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.events import CommandInvoked
from bot.parsing import duration
from bot.router import UsageError
from bot.settings import Settings
from storage.engagement import DORMANT, score_range
from storage.growth import SOURCES
from storage.members import ConsentKind, MemberFilter, search
from storage.types import row_id

FILTER_KEYS = (
    "function",
    "seniority",
    "location",
    "label",
    "source",
    "platform",
    "active",
    "inactive",
    "consent",
    "onboarded",
    "contacted",
    "uncontacted",
    "engagement",
    "attended",
    "entered",
    "voted",
)
DURATIONS = {
    "active": "active_within",
    "inactive": "inactive_for",
    "contacted": "contacted_within",
    "uncontacted": "uncontacted_for",
}
IDS = {"attended": "attended", "entered": "entered", "voted": "voted"}


PLATFORMS = ("console", "telegram", "slack", "discord")


def parse_filter(text: str, settings: Settings | None = None) -> MemberFilter:
    """`function=engineering label=alumni active=30d consent=jobs` → a MemberFilter. Values
    the community does not have are refused with what it has (a `function=enginering` would
    quietly match nobody): functions and seniorities from `[onboarding]`, `engagement=` a
    level of `[engagement] levels`, sources and platforms Roost knows."""
    settings = settings or Settings()
    known: dict[str, tuple[str, ...]] = {
        "function": settings.onboarding.functions,
        "seniority": settings.onboarding.seniorities,
        "source": (*SOURCES, "direct"),
        "platform": PLATFORMS,
    }
    given: dict[str, object] = {}
    for token in text.split():
        key, sep, value = token.partition("=")
        key = key.lower()
        if not sep or not value or key not in FILTER_KEYS:
            raise UsageError(
                f"{token[:30]} is not a filter (use key=value with {', '.join(FILTER_KEYS)})"
            )
        if key in DURATIONS:
            given[DURATIONS[key]] = duration(value, key)
        elif key in IDS:
            number = row_id(value)
            if number is None:
                raise UsageError(f"{key}= takes a number, like {key}=3")
            given[IDS[key]] = number
        elif key == "engagement":
            named = settings.engagement.levels
            scores = score_range(value.lower(), named)
            if scores is None:
                raise UsageError(f"engagement is one of {', '.join([*named, DORMANT])}")
            given["engagement_min"], given["engagement_below"] = scores
        elif key == "consent":
            if value.lower() not in ("news", "jobs"):
                raise UsageError("consent is news or jobs")
            given["consent"] = ConsentKind(value.lower())
        elif key == "onboarded":
            if value.lower() not in ("yes", "no"):
                raise UsageError("onboarded is yes or no")
            given["onboarded"] = value.lower() == "yes"
        elif key in known and value.lower() not in known[key]:
            raise UsageError(f"{key} is one of {', '.join(known[key])}")
        else:
            given[key] = value.lower() if key != "location" else value
    return MemberFilter(**given)  # type: ignore[arg-type]


async def nobody_in(ctx: Context[CommandInvoked], segment: MemberFilter, text: str) -> bool:
    """Whether a segment HR named matches no onboarded member, and if so HR is told so, since
    a campaign to nobody would otherwise pass as sent."""
    if not text.strip():
        return False
    total = await size(ctx, segment)
    if total == 0:
        ctx.refuse(f"No member matches {text.strip()[:80]}, so nothing was sent or scheduled.")
    return total == 0


async def size(ctx: Context[Any], segment: MemberFilter) -> int:
    """How many onboarded members a segment matches now."""
    total, _ = await search(ctx.session, dataclasses.replace(segment, onboarded=True), ctx.now)
    return total


def stored_filter(segment: MemberFilter) -> dict[str, object]:
    """A segment as a campaign keeps it (JSON: durations as seconds); the inverse of
    `member_filter`."""
    given = {k: v for k, v in vars(segment).items() if v is not None}
    for key in DURATIONS.values():
        if key in given:
            given[key] = int(given[key].total_seconds())
    return {k: str(v) if k == "consent" else v for k, v in given.items()}


FILTER_FIELDS = {f.name for f in fields(MemberFilter)}


def member_filter(audience: Mapping[str, Any]) -> MemberFilter:
    """The segment stored with a campaign (durations as seconds) as a filter."""
    given = {"onboarded": True, **(audience.get("filter") or {})}  # joined members only
    for key in DURATIONS.values():
        if key in given:
            given[key] = timedelta(seconds=given[key])
    if "consent" in given:
        given["consent"] = ConsentKind(given["consent"])
    if given.get("member_ids") is not None:
        given["member_ids"] = tuple(given["member_ids"])
    return MemberFilter(**{k: v for k, v in given.items() if k in FILTER_FIELDS})
