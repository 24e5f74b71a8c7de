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

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, insert, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.leases import WORKER
from storage.members import (
    ConsentKind,
    MemberFilter,
    reachable_accounts,
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
ASKED = "asked"  # a campaign's audience consent when members asked for it: never capped


@dataclass(frozen=True)
class Recipients:
    """Who a campaign reaches: channel posts, and/or DMs to a segment that consented."""

    channels: Sequence[tuple[str, str]] = ()  # (platform, chat id)
    members: MemberFilter | None = None
    consent: ConsentKind | None = ConsentKind.NEWS  # None: members asked for these (reminders)
    exclude: Mapping[int, str] = field(default_factory=dict)  # member id -> why not them


def new_token() -> str:
    return secrets.token_urlsafe(12)


async def enqueue(
    session: AsyncSession,
    campaign_id: int,
    recipients: Recipients,
    *,
    now: datetime,
    cap: int,
    cap_window: timedelta,
    held: bool = False,
) -> dict[str, int]:
    """Make the campaign's rows; returns counts by state. Idempotent: rows that exist stay.
    The segment is walked a chunk of members at a time and rows go in as plain inserts: a
    campaign to 100,000 members is 100,000 rows, and holding them (or ORM objects for them)
    would cost hundreds of megabytes."""
    counts: dict[str, int] = {}
    waiting = DeliveryState.HELD if held else DeliveryState.PENDING

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
            {
                "recipient": f"c:{platform}:{chat}",
                "platform": platform,
                "state": waiting,
                "token": new_token(),
            }
            for platform, chat in recipients.channels
        ]
    )
    if recipients.members is not None:
        async for decided in decide(session, recipients, now=now, cap=cap, cap_window=cap_window):
            await add(
                [
                    {
                        "recipient": f"m:{member_id}",
                        "member_id": member_id,
                        "platform": platform,
                        "state": DeliveryState.SKIPPED if reason else waiting,
                        "reason": reason,
                        "token": None if reason else new_token(),
                    }
                    for member_id, platform, reason in decided
                ]
            )
    return counts


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
    if not members:
        return {}
    found: dict[int, str] = {}
    for member, identity in (await reachable_accounts(session, members)).items():
        found[member] = identity.platform
    return found


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
