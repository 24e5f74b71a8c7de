"""Campaign kinds, declared by the feature that sends them, and the typed signals handlers
give the core.

A feature's router lists its kinds: how a row of the kind becomes a message (its composer),
whether members asked for it (then neither consent nor the frequency cap holds it back), and
what a launch does besides making rows. The core, the scheduler and the outbox know no kind
by name, so a new kind touches only its feature's files.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.messages import Message
from storage.models import Campaign, Delivery

if TYPE_CHECKING:
    from bot.settings import Settings

# Given a campaign, once: a function from each of its rows to the message it sends.
Composer = Callable[[Any, Campaign], Awaitable[Callable[[Delivery], Message]]]


@dataclass(frozen=True, slots=True)
class Launching:
    """What a launch of a campaign adds to making its rows."""

    exclude: Mapping[int, str] = field(default_factory=dict)  # member id -> why not them
    after: Callable[[Any, int], Awaitable[None]] | None = None  # (session, run id), rows made


async def nothing_more(_session: Any, _run: Campaign, _now: datetime, _s: Settings) -> Launching:
    return Launching()


@dataclass(frozen=True, slots=True)
class CampaignKind:
    name: str
    composer: Callable[[Settings], Composer]  # built once, with the settings
    solicited: bool = False  # members asked for these (reminders): no consent gate, no cap
    titled: bool = False  # rows are split between title variants (A/B tests)
    launching: Callable[[Any, Campaign, datetime, Settings], Awaitable[Launching]] = nothing_more
    # the message a subject's posts show now, where they are edited in place (live counts)
    live: Callable[[Any, int], Awaitable[Message]] | None = None


@dataclass(frozen=True, slots=True)
class Duty:
    """Work a feature has the scheduler do every day (the privacy sweep): given a session, the
    time and the settings, it changes what it must and says which campaigns to launch.

    It runs at `hour` in the community's timezone unless `[duties] hours` says otherwise; a run
    missed while Roost was stopped (or cut short by a stop) runs once when it is back, and a
    duty with `at_first_start` also runs when Roost starts on a database it never ran on."""

    name: str
    run: Callable[[Any, datetime, Settings], Awaitable[Sequence[Signal]]]
    hour: int  # the default, in the community's timezone
    at_first_start: bool = False

    def at(self, settings: Settings) -> int:
        """The hour it runs at, as configured."""
        return settings.duties.hours.get(self.name, self.hour)


# -- signals: what a handler asks of the core once its transaction has committed ------------


@dataclass(frozen=True, slots=True)
class Launch:
    """Make a campaign's rows now."""

    campaign_id: int


@dataclass(frozen=True, slots=True)
class Reschedule:
    """Campaigns were scheduled or cancelled: the scheduler's jobs follow them."""


@dataclass(frozen=True, slots=True)
class Refresh:
    """A subject's posts show something new (a vote): edit them in place."""

    kind: str  # the campaign kind whose `live` renders the subject
    subject_id: int


Signal = Launch | Reschedule | Refresh
