"""Campaign kinds, declared by the feature that sends them, and the typed signals handlers
give the core.

A feature's router lists its kinds: how a row of the kind becomes a message (its composer),
whether members asked for it (then neither consent nor the frequency cap holds it back), and
what a launch does besides making rows. The core, the scheduler and the outbox know no kind
by name, so a new kind touches only its feature's files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import SQLModel

from bot.messages import Message
from storage.campaigns import ASKED, Audience
from storage.db import Session
from storage.models import Campaign, Delivery

if TYPE_CHECKING:
    from bot.settings import Settings

Render = Callable[[Delivery], Message]
# Given a session, a campaign and its subject (loaded once by the core; None for a kind with
# no subject row): a function from each of the campaign's rows to the message it sends.
Composer = Callable[[Session, Campaign, Any], Awaitable[Render]]


@dataclass(frozen=True, slots=True)
class Subject:
    """What a kind's campaigns are about: the `subject_type` they keep (`key`), the table its
    row is in (loaded for the composer, once per batch), and how HR reads its title (else
    the row's own `title` or `question`)."""

    key: str
    table: type[SQLModel] | None = None
    title: Callable[[Session, Any], Awaitable[str]] | None = None

    async def row(self, session: Session, subject_id: int) -> Any | None:
        """The subject's row, or None (also for a kind with no table)."""
        return await session.get(self.table, subject_id) if self.table else None

    async def named(self, session: Session, subject_id: int) -> str:
        """How HR reads a subject in lists: `Salaries in data`, else `#12`."""
        row = await self.row(session, subject_id)
        if row is None:
            return f"#{subject_id}" if self.table else ""
        if self.title is not None:
            return await self.title(session, row)
        return str(getattr(row, "title", None) or getattr(row, "question", f"#{subject_id}"))


@dataclass(frozen=True, slots=True)
class Launching:
    """What a launch of a campaign adds to making its rows."""

    exclude: Mapping[int, str] = field(default_factory=dict)  # member id -> why not them
    after: Callable[[Session, int], Awaitable[None]] | None = None  # (session, run id)


async def nothing_more(
    _session: Session, _run: Campaign, _now: datetime, _s: Settings
) -> Launching:
    return Launching()


@dataclass(frozen=True, slots=True)
class CampaignKind:
    """A kind of campaign, as a value its feature creates campaigns with: what they are about
    (`subject`), how a row becomes a message (`composer`, built once with the settings), how
    HR reads it (`label`), whether members asked for it (`solicited`: no consent gate, no
    cap), whether rows are split between title variants (`titled`), what a launch adds to
    making rows (`launching`), and what a subject's posts show now where they are edited in
    place (`live`: a poll's counts), and where a tracked link in one of its rows leads once
    followed (`followed`, which records the click; None: nowhere)."""

    name: str
    subject: Subject
    composer: Callable[[Settings], Composer]
    label: str = ""
    solicited: bool = False
    titled: bool = False
    launching: Callable[[Session, Campaign, datetime, Settings], Awaitable[Launching]] = (
        nothing_more
    )
    live: Callable[[Session, int], Awaitable[Message]] | None = None
    followed: Callable[[Session, Delivery, Campaign, datetime], Awaitable[str | None]] | None = None

    def campaign(
        self, subject_id: int, audience: Audience, now: datetime, **fields: Any
    ) -> Campaign:
        """A campaign of this kind (not yet added to a session); a solicited kind's audience
        says so, so the cap's query reads it from the data, not from a list of names."""
        if self.solicited:
            audience = dataclasses.replace(audience, consent=ASKED)
        return Campaign(
            kind=self.name,
            subject_type=self.subject.key,
            subject_id=subject_id,
            audience=audience.stored(),
            created_at=now,
            **fields,
        )

    @property
    def shown(self) -> str:
        return self.label or self.name.replace("_", " ")


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

    kind: CampaignKind  # whose `live` renders the subject
    subject_id: int


Signal = Launch | Reschedule | Refresh
