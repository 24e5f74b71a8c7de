"""One person: their accounts on several platforms made one (link codes, merging two members,
taking an account back out), and their record as HR reads it (what Roost sent them and what
they did, where they came from, what they agreed to, HR's notes).

A merge re-points every row that names the member being merged away (the privacy policy's
list of references is the list of places to look), so every figure afterwards counts the
person once without a query knowing about links. Where both members hold a row for one thing
(a vote in the same poll, a registration for the same event, an invitation to the same job),
the kept member's row stays and takes whatever the other row knew that it did not.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, UniqueConstraint, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, col
from sqlmodel import select as rows
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.content import TALLY, hour_of
from storage.members import ConsentKind
from storage.models import (
    Campaign,
    Consent,
    Delivery,
    Entry,
    Identity,
    Interaction,
    Invitation,
    Join,
    LinkCode,
    Member,
    MemberNote,
    Registration,
    Vote,
)
from storage.models.states import DeliveryState, Fact, InvitationStatus
from storage.pipeline import STAMPS
from storage.privacy import member_references

LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
FURTHER = tuple(InvitationStatus)  # an invitation's statuses, the furthest last (but answers)


async def new_link_code(
    session: AsyncSession, member_id: int, now: datetime, ttl: timedelta
) -> str:
    """A fresh single-use code for the member (their earlier unused ones stop working)."""
    await session.exec(
        delete(LinkCode).where(
            col(LinkCode.member_id) == member_id, col(LinkCode.used_at).is_(None)
        )
    )
    code = "-".join("".join(secrets.choice(LINK_ALPHABET) for _ in range(4)) for _ in range(2))
    session.add(LinkCode(member_id=member_id, code=code, expires_at=now + ttl))
    return code


async def redeem(session: AsyncSession, typed: str, now: datetime) -> LinkCode | None:
    """The unused, unexpired code `typed` names (spaces, dashes and case aside), used up."""
    clean = "".join(ch for ch in typed.upper() if ch.isalnum())
    if len(clean) != 8:
        return None
    code = f"{clean[:4]}-{clean[4:]}"
    link = (await session.exec(rows(LinkCode).where(LinkCode.code == code))).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    link.used_at = now
    return link


def elder(a: Member, b: Member) -> tuple[Member, Member]:
    """(kept, merged away): the member who joined first, or was first seen."""

    def key(m: Member) -> tuple[datetime, int]:
        return (m.joined_at or m.created_at, m.id or 0)

    return (a, b) if key(a) <= key(b) else (b, a)


async def merge(session: AsyncSession, keep: Member, gone: Member, now: datetime) -> None:
    """Make `gone` part of `keep`, then delete it. The session is flushed first and forgets
    every object afterwards, since rows change underneath it."""
    assert keep.id is not None and gone.id is not None and keep.id != gone.id
    await session.flush()
    conn = await session.connection()
    await _content_once(conn, keep.id, gone.id)
    await _one_ballot(conn, keep.id, gone.id)
    await _one_copy(conn, keep.id, gone.id)
    for table_name, column in sorted(member_references()):
        table = SQLModel.metadata.tables[table_name]
        await _absorb_duplicates(conn, table, table.c[column], keep.id, gone.id)
        await conn.execute(
            update(table).where(table.c[column] == gone.id).values({column: keep.id})
        )
    fields = _merged_fields(keep, gone)
    fields.update(await _first_touch(conn, keep.id))
    fields.update(await _latest_consents(conn, keep.id))
    member = Member.__table__  # type: ignore[attr-defined]
    await conn.execute(delete(member).where(member.c.id == gone.id))
    await conn.execute(update(member).where(member.c.id == keep.id).values(fields))
    session.expunge_all()


async def unlink(session: AsyncSession, identity: Identity, now: datetime) -> Member:
    """Take one account out of its member into a new member of its own, who starts afresh:
    no profile, no choices, not yet greeted. The profile, the choices and everything done so
    far stay with the person the account was linked to: an account linked by mistake (or
    someone else's) takes nothing of theirs along."""
    old = await session.get(Member, identity.member_id)
    assert old is not None
    if old.preferred_identity_id == identity.id:
        old.preferred_identity_id = None
    member = Member(display_name=identity.display_name, created_at=now, last_active_at=now)
    session.add(member)
    await session.flush()
    assert member.id is not None
    identity.member_id = member.id
    return member


def _merged_fields(keep: Member, gone: Member) -> dict[str, Any]:
    """Profile answers the kept member lacks come from the other; the earliest start and the
    latest activity win; still a member if either account is."""
    fields: dict[str, Any] = {}
    for name in ("display_name", "function", "seniority", "location", "interests"):
        if getattr(keep, name) is None:
            fields[name] = getattr(gone, name)
    for name in ("created_at", "joined_at", "onboarded_at", "privacy_notice_at"):
        values = [v for v in (getattr(keep, name), getattr(gone, name)) if v is not None]
        fields[name] = min(values) if values else None
    for name in ("last_active_at", "last_contact_at"):
        values = [v for v in (getattr(keep, name), getattr(gone, name)) if v is not None]
        fields[name] = max(values) if values else None
    fields["left_at"] = keep.left_at if gone.left_at is not None else None
    if keep.preferred_identity_id is None:
        fields["preferred_identity_id"] = gone.preferred_identity_id
    if keep.privacy_version is None:
        fields["privacy_version"] = gone.privacy_version
    return fields


async def _first_touch(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    """The earliest join stays the first touch (and its source the member's and their
    invitations'); any later one becomes a secondary touch."""
    joins = SQLModel.metadata.tables["member_join"]
    rows = (
        await conn.execute(
            select(joins.c.id, joins.c.source)
            .where(joins.c.member_id == member_id)
            .order_by(joins.c.at, joins.c.id)
        )
    ).all()
    if not rows:
        return {}
    first, source = rows[0]
    await conn.execute(
        update(joins).where(joins.c.member_id == member_id).values(first_touch=joins.c.id == first)
    )
    invitations = SQLModel.metadata.tables["invitation"]
    await conn.execute(
        update(invitations).where(invitations.c.member_id == member_id).values(source=source)
    )
    return {"first_source": source}


async def _latest_consents(conn: AsyncConnection, member_id: int) -> dict[str, Any]:
    """Per kind, the most recent decision on either account (a STOP anywhere stops all)."""
    consents = Consent.__table__  # type: ignore[attr-defined]
    fields: dict[str, Any] = {}
    for kind in ConsentKind:
        latest = (
            await conn.execute(
                select(consents.c.granted)
                .where(consents.c.member_id == member_id, consents.c.kind == kind)
                .order_by(consents.c.at.desc(), consents.c.id.desc())
                .limit(1)
            )
        ).scalar()
        fields[f"consent_{kind}"] = bool(latest)
    return fields


async def _content_once(conn: AsyncConnection, keep: int, gone: int) -> None:
    """A content fact both members have (opened the same article) stays once: the other
    account's copy goes, and leaves the hourly tally."""
    facts = SQLModel.metadata.tables["interaction"]
    mine = select(facts.c.kind, facts.c.subject_id).where(
        facts.c.member_id == keep, facts.c.subject_type == "content"
    )
    have = {(k, s) for k, s in (await conn.execute(mine)).all()}
    theirs = (
        await conn.execute(
            select(
                facts.c.id, facts.c.kind, facts.c.subject_id, facts.c.variant_id, facts.c.at
            ).where(facts.c.member_id == gone, facts.c.subject_type == "content")
        )
    ).all()
    twice = [row for row in theirs if (row.kind, row.subject_id) in have]
    if not twice:
        return
    await conn.execute(delete(facts).where(facts.c.id.in_([row.id for row in twice])))
    for row in twice:
        if row.variant_id is None:
            continue
        await conn.execute(
            update(TALLY)
            .where(
                TALLY.c.content_id == row.subject_id,
                TALLY.c.variant_id == row.variant_id,
                TALLY.c.kind == row.kind,
                TALLY.c.hour == hour_of(row.at),
            )
            .values(facts=TALLY.c.facts - 1)
        )


async def _one_copy(conn: AsyncConnection, keep: int, gone: int) -> None:
    """A campaign both accounts are still waiting for goes out once: the other account's row
    is skipped (a row already with a worker goes its way)."""
    rows = SQLModel.metadata.tables["delivery"]
    theirs = select(rows.c.campaign_id).where(rows.c.member_id == keep)
    await conn.execute(
        update(rows)
        .where(
            rows.c.member_id == gone,
            rows.c.state.in_((DeliveryState.PENDING, DeliveryState.HELD)),
            rows.c.campaign_id.in_(theirs),
        )
        .values(state=DeliveryState.SKIPPED, reason="merged: one copy per person")
    )


async def _one_ballot(conn: AsyncConnection, keep: int, gone: int) -> None:
    """In a poll both accounts voted in, the kept member's ballot stands alone."""
    votes = SQLModel.metadata.tables["vote"]
    voted = select(votes.c.poll_id).where(votes.c.member_id == keep)
    await conn.execute(delete(votes).where(votes.c.member_id == gone, votes.c.poll_id.in_(voted)))


async def _absorb_duplicates(
    conn: AsyncConnection, table: Table, column: Any, keep: int, gone: int
) -> None:
    """Rows of `gone` that would break a unique constraint once re-pointed: what they know
    goes into the kept member's row, rows pointing at them follow, and they go."""
    for unique in _uniques_with(table, column):
        others = [c for c in unique if c is not column]
        kept = table.alias("kept")
        pairs = (
            await conn.execute(
                select(table.c.id, kept.c.id)
                .join(
                    kept,
                    and_(kept.c[column.name] == keep, *(kept.c[c.name] == c for c in others)),
                )
                .where(column == gone)
            )
        ).all()
        for gone_row, kept_row in pairs:
            await _fold(conn, table, kept_row, gone_row)
            await _follow(conn, table, kept_row, gone_row)
            await conn.execute(delete(table).where(table.c.id == gone_row))


def _uniques_with(table: Table, column: Any) -> list[Sequence[Any]]:
    found = [list(u.columns) for u in table.constraints if isinstance(u, UniqueConstraint)]
    found += [[c] for c in table.columns if c.unique]
    return [u for u in found if column in u and "id" in table.c]


async def _fold(conn: AsyncConnection, table: Table, kept: int, gone: int) -> None:
    """What the merged-away row knew that the kept one did not: an invitation's furthest
    step, a registration's check-in."""
    if table.name not in ("invitation", "registration"):
        return
    a = (await conn.execute(select(table).where(table.c.id == kept))).mappings().one()
    b = (await conn.execute(select(table).where(table.c.id == gone))).mappings().one()
    values: dict[str, Any] = {}
    if table.name == "invitation":
        for stamp in STAMPS:
            if a[stamp] is None and b[stamp] is not None:
                values[stamp] = b[stamp]
        if _step(b["status"]) > _step(a["status"]):
            values["status"] = b["status"]
    else:
        if a["attended_at"] is None and b["attended_at"] is not None:
            values["attended_at"] = b["attended_at"]
        if a["status"] != "registered" and b["status"] == "registered":
            values["status"] = "registered"
    if values:
        await conn.execute(update(table).where(table.c.id == kept).values(values))


def _step(status: str) -> int:
    return FURTHER.index(status) if status in FURTHER else -1


async def _follow(conn: AsyncConnection, table: Table, kept: int, gone: int) -> None:
    """Rows pointing at the row about to go (feedback on an invitation, scores of an
    entry) point at the kept row instead; a score the kept entry has already is dropped."""
    for child in SQLModel.metadata.sorted_tables:
        for fk in child.foreign_keys:
            if fk.column.table is not table:
                continue
            ref = fk.parent
            for unique in _uniques_with(child, ref):
                others = [c for c in unique if c is not ref]
                twin = child.alias("twin")
                clash = (
                    select(func.count())
                    .select_from(twin)
                    .where(twin.c[ref.name] == kept, *(twin.c[c.name] == c for c in others))
                )
                await conn.execute(delete(child).where(ref == gone, clash.scalar_subquery() > 0))
            await conn.execute(update(child).where(ref == gone).values({ref.name: kept}))


# -- the record HR reads ------------------------------------------------------------------------


async def timeline(session: AsyncSession, member_id: int, limit: int) -> list[tuple[datetime, str]]:
    """The newest `limit` moments from every table that records one (each read newest first
    and at most `limit` rows, so a long history costs no more than a short one)."""
    happened: list[tuple[datetime, str]] = []

    async def newest(query: Any, at: Any, line: Any) -> None:
        for row in await session.exec(query.order_by(col(at).desc()).limit(limit)):
            happened.append((row[0], line(*row[1:])))

    sent = col(Delivery.sent_at)
    await newest(
        rows(sent, Campaign.kind, Campaign.subject_id)
        .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
        .where(Delivery.member_id == member_id, Delivery.state == DeliveryState.SENT),
        sent,
        lambda kind, subject: f"sent: {kind.replace('_', ' ')} #{subject}",
    )
    await newest(
        rows(
            Interaction.at, Interaction.kind, Interaction.subject_type, Interaction.subject_id
        ).where(Interaction.member_id == member_id, Interaction.kind != Fact.DELIVERED),
        Interaction.at,
        lambda kind, subject, number: f"{kind} {subject} #{number}",
    )
    await newest(
        rows(Vote.at, Vote.poll_id).where(Vote.member_id == member_id),
        Vote.at,
        lambda poll: f"voted in poll #{poll}",
    )
    await newest(
        rows(Registration.registered_at, Registration.event_id, Registration.status).where(
            Registration.member_id == member_id
        ),
        Registration.registered_at,
        lambda event, status: f"{status} for event #{event}",
    )
    came = col(Registration.attended_at)
    await newest(
        rows(came, Registration.event_id).where(
            Registration.member_id == member_id, came.is_not(None)
        ),
        came,
        lambda event: f"attended event #{event}",
    )
    await newest(
        rows(Entry.registered_at, Entry.competition_id).where(Entry.member_id == member_id),
        Entry.registered_at,
        lambda competition: f"entered competition #{competition}",
    )
    await newest(
        rows(Invitation.invited_at, Invitation.job_id, Invitation.status).where(
            Invitation.member_id == member_id
        ),
        Invitation.invited_at,
        lambda job, status: f"invited to job #{job} (now {status.replace('_', ' ')})",
    )
    await newest(
        rows(Join.at, Join.source, Join.platform).where(Join.member_id == member_id),
        Join.at,
        lambda source, platform: f"joined on {platform} via {source}",
    )
    return sorted(happened, key=lambda moment: moment[0], reverse=True)[:limit]


async def joins_of(session: AsyncSession, member_id: int) -> list[Join]:
    """Every touch, the first first."""
    query = rows(Join).where(Join.member_id == member_id).order_by(col(Join.at), col(Join.id))
    return list(await session.exec(query))


async def notes_of(session: AsyncSession, member_id: int, *, limit: int) -> list[MemberNote]:
    query = (
        rows(MemberNote)
        .where(MemberNote.member_id == member_id)
        .order_by(col(MemberNote.at).desc(), col(MemberNote.id).desc())
        .limit(limit)
    )
    return list(await session.exec(query))


async def latest_consents(session: AsyncSession, member_id: int) -> dict[str, Consent]:
    """The newest answer of each kind the member gave, with its date."""
    query = rows(Consent).where(Consent.member_id == member_id).order_by(col(Consent.at))
    return {c.kind: c for c in await session.exec(query.order_by(col(Consent.id)))}
