"""The delivery outbox: one row per (campaign, recipient), claimed in batches by any number of
workers, each row ending sent, failed, skipped or (after a crash, where resending could
duplicate) unknown.

A claimed row is `claimed` by its worker's name until the moment its own request goes out,
when it becomes `sending`: so a worker that dies leaves uncertain only the sends that were
on the wire, and every other row it had claimed goes back to `pending`.

Consent and the frequency cap are decided when rows are made, so a skipped row says why and
nothing unwanted is ever queued. Claims are a single UPDATE … RETURNING over a subquery: on
PostgreSQL it skips rows another worker has locked (FOR UPDATE SKIP LOCKED); on SQLite the one
statement holds the database's single write lock, so two workers can never claim one row.
"""

from __future__ import annotations

import functools
import math
import random
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, insert, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.campaigns import ASKED
from storage.content import titles_sent
from storage.leases import WORKER
from storage.members import (
    ConsentKind,
    MemberFilter,
    reachable_platforms,
    segment_chunks,
    segment_ids,
)
from storage.models import Campaign, Delivery, Lease
from storage.models.states import DeliveryState

CAPPED_STATES = (
    DeliveryState.PENDING,
    DeliveryState.CLAIMED,
    DeliveryState.SENDING,
    DeliveryState.SENT,
    DeliveryState.UNKNOWN,
    DeliveryState.HELD,
)


@dataclass(frozen=True)
class Recipients:
    """Who a campaign reaches: channel posts, and/or DMs to a segment that consented."""

    channels: Sequence[tuple[str, str]] = ()  # (platform, chat id)
    members: MemberFilter | None = None
    consent: ConsentKind | None = ConsentKind.NEWS  # None: members asked for these (reminders)
    exclude: Mapping[int, str] = field(default_factory=dict)  # member id -> why not them


def new_token() -> str:
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Titles:
    """How a titled campaign's member rows get their title variant: split evenly between
    `variants` in a seeded random order, or `one` position for all, or for each member the
    title after the one they were sent last (`after`: the content whose sends say). With a
    `sample`, only that share goes now; the rest is held for the best title."""

    variants: Sequence[int]
    seed: int = 0
    sample: float | None = None
    one: int | None = None
    after: int | None = None  # a content item's id


async def enqueue(
    session: AsyncSession,
    campaign_id: int,
    recipients: Recipients,
    *,
    now: datetime,
    cap: int,
    cap_window: timedelta,
    titles: Titles | None = None,
) -> dict[str, int]:
    """Make the campaign's rows, each written once with its final state (and title); returns
    counts by state. Idempotent: rows that exist stay. The segment is walked a chunk of
    members at a time and rows go in as plain inserts: a campaign to 100,000 members is
    100,000 rows, and holding them (or ORM objects for them) would cost hundreds of megabytes.
    A title split needs every member first: only their ids are kept, then shuffled."""
    counts: dict[str, int] = {}
    first = titles.variants[0] if titles and titles.variants else None

    async def add(rows: list[dict[str, object]]) -> None:
        made = await session.exec(
            select(col(Delivery.recipient)).where(
                col(Delivery.campaign_id) == campaign_id,
                col(Delivery.recipient).in_([row["recipient"] for row in rows]),
            )
        )
        existing = set(made)
        fresh = [
            {"campaign_id": campaign_id, "member_id": None, "reason": None, "attempts": 0, **row}
            for row in rows
            if row["recipient"] not in existing
        ]
        for row in fresh:
            counts[str(row["state"])] = counts.get(str(row["state"]), 0) + 1
        if fresh:
            await session.exec(insert(Delivery), params=fresh)

    await add(
        [
            {  # one message for all: the first title
                "recipient": f"c:{platform}:{chat}",
                "platform": platform,
                "state": DeliveryState.PENDING,
                "token": new_token(),
                "variant_id": first,
            }
            for platform, chat in recipients.channels
        ]
    )
    if recipients.members is None:
        return counts
    split = titles is not None and bool(titles.variants)
    going: list[tuple[int, str]] = []  # members to title once all are known
    async for decided in decide(session, recipients, now=now, cap=cap, cap_window=cap_window):
        await add([_member_row(m, p, reason) for m, p, reason in decided if reason or not split])
        if split:
            going += [(m, p) for m, p, reason in decided if not reason]
    if titles is not None and split:
        for start in range(0, len(going), CHUNK):
            chunk = going[start : start + CHUNK]
            await add(await _titled(session, titles, chunk, start, len(going)))
    return counts


def _member_row(member_id: int, platform: str, reason: str | None) -> dict[str, object]:
    return {
        "recipient": f"m:{member_id}",
        "member_id": member_id,
        "platform": platform,
        "state": DeliveryState.SKIPPED if reason else DeliveryState.PENDING,
        "reason": reason,
        "token": None if reason else new_token(),
    }


async def _titled(
    session: AsyncSession,
    titles: Titles,
    chunk: Sequence[tuple[int, str]],
    offset: int,
    total: int,
) -> list[dict[str, object]]:
    """The rows of `chunk` (members `offset` on, of `total`) with their titles: each member's
    place in a seeded shuffle of all of them picks the title, and whether it goes now."""
    order = _shuffled(titles.seed, total)
    variants = list(titles.variants)
    sample = total if titles.sample is None else math.ceil(total * titles.sample)
    sent = {}
    if titles.after is not None:
        sent = await titles_sent(session, titles.after, [m for m, _ in chunk])
    rows = []
    for index, (member_id, platform) in enumerate(chunk, offset):
        rank = order[index]
        position = rank if titles.one is None else titles.one
        if sent.get(member_id) in variants:
            position = variants.index(sent[member_id]) + 1  # the title after theirs
        row = _member_row(member_id, platform, None)
        row["variant_id"] = variants[position % len(variants)]
        if rank >= sample:
            row["state"], row["variant_id"] = DeliveryState.HELD, None  # the best, later
        rows.append(row)
    return rows


@functools.lru_cache(maxsize=4)
def _shuffled(seed: int, total: int) -> list[int]:
    """Each of `total` members' rank in a seeded random order (kept for the few chunks of one
    launch: the ranks of 100,000 members are 100,000 integers)."""
    order = list(range(total))
    random.Random(seed).shuffle(order)
    rank = [0] * total
    for place, member in enumerate(order):
        rank[member] = place
    return rank


CHUNK = 5000  # members decided and rows inserted at a time


async def decide(
    session: AsyncSession,
    recipients: Recipients,
    *,
    now: datetime,
    cap: int,
    cap_window: timedelta,
) -> AsyncIterator[list[tuple[int, str, str | None]]]:
    """Each member of the segment, a chunk at a time: (member id, platform, why they are
    skipped or None). The one place that decides who a campaign may DM; previews count the
    same answers."""
    assert recipients.members is not None
    asked = recipients.consent
    async for wanted in segment_chunks(session, recipients.members, now, CHUNK):
        if asked is None:  # solicited: registrants asked for their reminders
            consenting, capped = set(wanted), set()
        else:
            with_consent = replace(recipients.members, consent=asked)
            consenting = set(await segment_ids(session, with_consent, now, among=wanted))
            capped = await _over_cap(session, wanted, since=now - cap_window, cap=cap)
        reachable = await _reachable(session, wanted)
        yield [
            (
                member_id,
                reachable.get(member_id, "-"),
                "no consent"
                if member_id not in consenting
                else recipients.exclude.get(member_id)
                or (
                    "frequency cap"
                    if member_id in capped
                    else "unreachable"
                    if member_id not in reachable
                    else None
                ),
            )
            for member_id in wanted
        ]


def _unsolicited() -> ColumnElement[bool]:
    """Campaigns members did not ask for (their audience's consent is not `ASKED`)."""
    consent = col(Campaign.audience)["consent"].as_string()
    return or_(consent.is_(None), consent != ASKED)


async def _over_cap(
    session: AsyncSession, members: Sequence[int], *, since: datetime, cap: int
) -> set[int]:
    """Members who already had `cap` unsolicited DMs since `since` (channel posts don't count)."""
    if not members:
        return set()
    if cap <= 0:  # no unsolicited DM at all
        return set(members)
    rows = await session.exec(
        select(col(Delivery.member_id), func.count())
        .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
        .where(
            col(Delivery.member_id).in_(members),
            col(Delivery.state).in_(CAPPED_STATES),
            or_(col(Delivery.sent_at) >= since, col(Delivery.sent_at).is_(None)),
            _unsolicited(),
        )
        .group_by(col(Delivery.member_id))
    )
    return {member for member, count in rows if member is not None and count >= cap}


async def _reachable(session: AsyncSession, members: Sequence[int]) -> dict[int, str]:
    """Each member's platform for a DM: the one they chose, else the deliverable account
    they used last (one person on several platforms gets one copy)."""
    return await reachable_platforms(session, members)


async def claim(
    session: AsyncSession, *, batch: int, now: datetime, postgres: bool, worker: str
) -> list[Delivery]:
    """Take up to `batch` due rows for `worker` (its presence lease's name), atomically, and
    commit the claim. Nothing is on the wire yet: see `mark_sending`."""
    due = (
        select(col(Delivery.id))
        .where(
            col(Delivery.state) == DeliveryState.PENDING,
            or_(col(Delivery.next_attempt_at).is_(None), col(Delivery.next_attempt_at) <= now),
        )
        .order_by(col(Delivery.id))
        .limit(batch)
    )
    if postgres:
        due = due.with_for_update(skip_locked=True)
    claimed = await session.exec(
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(
            state=DeliveryState.CLAIMED,
            claimed_at=now,
            claimed_by=worker,
            attempts=col(Delivery.attempts) + 1,
        )
        .returning(Delivery)
    )
    rows = list(claimed.scalars())
    await session.commit()
    return sorted(rows, key=lambda r: r.id or 0)


async def mark_sending(conn: AsyncConnection, ids: Sequence[int], *, worker: str) -> set[int]:
    """Rows whose requests go out now become `sending` (the caller commits before they go);
    the ids still claimed by `worker` (a row recovered from a worker thought dead is not)."""
    marked = await conn.execute(
        update(Delivery)
        .where(
            col(Delivery.id).in_(ids),
            col(Delivery.state) == DeliveryState.CLAIMED,
            col(Delivery.claimed_by) == worker,
        )
        .values(state=DeliveryState.SENDING)
        .returning(col(Delivery.id))
    )
    return {row_id for row_id in marked.scalars() if row_id is not None}


async def recover(
    session: AsyncSession,
    *,
    now: datetime,
    idempotent: set[str],
    resend: set[int],
) -> dict[str, int]:
    """Rows of workers that are gone (their presence lease expired, or never named): a row
    still `claimed` never went out and is pending again; a row `sending` is resent where the
    platform deduplicates or the campaign's policy says resend, and is otherwise `unknown`,
    counted, never silently repeated."""
    alive = select(col(Lease.name)).where(
        col(Lease.name).startswith(WORKER), col(Lease.expires_at) >= now
    )
    abandoned = or_(col(Delivery.claimed_by).is_(None), col(Delivery.claimed_by).not_in(alive))
    returned = await session.exec(
        update(Delivery)
        .where(col(Delivery.state) == DeliveryState.CLAIMED, abandoned)
        .values(state=DeliveryState.PENDING, claimed_by=None, attempts=col(Delivery.attempts) - 1)
    )
    in_flight = and_(col(Delivery.state) == DeliveryState.SENDING, abandoned)
    safe = or_(col(Delivery.platform).in_(idempotent), col(Delivery.campaign_id).in_(resend))
    requeued = await session.exec(
        update(Delivery).where(in_flight, safe).values(state=DeliveryState.PENDING, claimed_by=None)
    )
    uncertain = await session.exec(
        update(Delivery)
        .where(in_flight)
        .values(state=DeliveryState.UNKNOWN, reason="a worker stopped mid-send", claimed_by=None)
    )
    await session.commit()
    return {
        "returned": returned.rowcount or 0,
        "requeued": requeued.rowcount or 0,
        "unknown": uncertain.rowcount or 0,
    }
