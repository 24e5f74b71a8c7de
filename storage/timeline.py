"""A member's record for HR: what Roost sent them and what they did, newest first; where
they came from, what they agreed to, and HR's notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Campaign,
    Consent,
    Delivery,
    Entry,
    Interaction,
    Invitation,
    Join,
    MemberNote,
    Registration,
    Vote,
)
from storage.models.states import DeliveryState, Fact


async def timeline(session: AsyncSession, member_id: int, limit: int) -> list[tuple[datetime, str]]:
    """The newest `limit` moments from every table that records one (each read newest first
    and at most `limit` rows, so a long history costs no more than a short one)."""
    happened: list[tuple[datetime, str]] = []

    async def newest(query: Any, at: Any, line: Any) -> None:
        for row in await session.exec(query.order_by(col(at).desc()).limit(limit)):
            happened.append((row[0], line(*row[1:])))

    sent = col(Delivery.sent_at)
    await newest(
        select(sent, Campaign.kind, Campaign.subject_id)
        .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
        .where(Delivery.member_id == member_id, Delivery.state == DeliveryState.SENT),
        sent,
        lambda kind, subject: f"sent: {kind.replace('_', ' ')} #{subject}",
    )
    await newest(
        select(
            Interaction.at, Interaction.kind, Interaction.subject_type, Interaction.subject_id
        ).where(Interaction.member_id == member_id, Interaction.kind != Fact.DELIVERED),
        Interaction.at,
        lambda kind, subject, number: f"{kind} {subject} #{number}",
    )
    await newest(
        select(Vote.at, Vote.poll_id).where(Vote.member_id == member_id),
        Vote.at,
        lambda poll: f"voted in poll #{poll}",
    )
    await newest(
        select(Registration.registered_at, Registration.event_id, Registration.status).where(
            Registration.member_id == member_id
        ),
        Registration.registered_at,
        lambda event, status: f"{status} for event #{event}",
    )
    came = col(Registration.attended_at)
    await newest(
        select(came, Registration.event_id).where(
            Registration.member_id == member_id, came.is_not(None)
        ),
        came,
        lambda event: f"attended event #{event}",
    )
    await newest(
        select(Entry.registered_at, Entry.competition_id).where(Entry.member_id == member_id),
        Entry.registered_at,
        lambda competition: f"entered competition #{competition}",
    )
    await newest(
        select(Invitation.invited_at, Invitation.job_id, Invitation.status).where(
            Invitation.member_id == member_id
        ),
        Invitation.invited_at,
        lambda job, status: f"invited to job #{job} (now {status.replace('_', ' ')})",
    )
    await newest(
        select(Join.at, Join.source, Join.platform).where(Join.member_id == member_id),
        Join.at,
        lambda source, platform: f"joined on {platform} via {source}",
    )
    return sorted(happened, key=lambda moment: moment[0], reverse=True)[:limit]


async def joins_of(session: AsyncSession, member_id: int) -> list[Join]:
    """Every touch, the first first."""
    query = select(Join).where(Join.member_id == member_id).order_by(col(Join.at), col(Join.id))
    return list(await session.exec(query))


async def notes_of(session: AsyncSession, member_id: int, *, limit: int) -> list[MemberNote]:
    query = (
        select(MemberNote)
        .where(MemberNote.member_id == member_id)
        .order_by(col(MemberNote.at).desc(), col(MemberNote.id).desc())
        .limit(limit)
    )
    return list(await session.exec(query))


async def latest_consents(session: AsyncSession, member_id: int) -> dict[str, Consent]:
    """The newest answer of each kind the member gave, with its date."""
    query = select(Consent).where(Consent.member_id == member_id).order_by(col(Consent.at))
    return {c.kind: c for c in await session.exec(query.order_by(col(Consent.id)))}
