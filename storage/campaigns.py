"""Campaigns as HR follows them: the latest, how far each got, and stopping one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Campaign, Delivery
from storage.models.states import CampaignStatus, DeliveryState


async def latest(session: AsyncSession, limit: int = 20) -> list[Campaign]:
    """The newest campaigns HR made (a recurring one's runs are under it)."""
    query = (
        select(Campaign)
        .where(col(Campaign.parent_id).is_(None))
        .order_by(col(Campaign.id).desc())
        .limit(limit)
    )
    return list(await session.exec(query))


async def to_members(
    session: AsyncSession,
    kind: str,
    subject: tuple[str, int],
    members: Sequence[int],
    now: datetime,
    *,
    consent: str,
    **audience: Any,
) -> int:
    """A campaign of `kind` by DM to exactly these members, ready to launch (the outbox still
    asks their `consent` and the frequency cap); its id. Nurture steps, job alerts and a Not
    now coming back are all this."""
    campaign = Campaign(
        kind=kind,
        subject_type=subject[0],
        subject_id=subject[1],
        status=CampaignStatus.SCHEDULED,
        audience={
            "channels": False,
            "dm": True,
            "consent": consent,
            "filter": {"member_ids": list(members)},
            **audience,
        },
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign.id or 0


def _runs(campaign: Campaign) -> Any:
    """The campaign and, for a recurring one, each of its runs: where its rows are."""
    return select(Campaign.id).where(
        (col(Campaign.id) == campaign.id) | (col(Campaign.parent_id) == campaign.id)
    )


async def states(session: AsyncSession, campaign: Campaign) -> dict[str, int]:
    """How many of a campaign's rows (all runs) are in each state."""
    rows = await session.exec(
        select(Delivery.state).where(col(Delivery.campaign_id).in_(_runs(campaign)))
    )
    counts: dict[str, int] = {}
    for state in rows:
        counts[state] = counts.get(state, 0) + 1
    return counts


async def stop(session: AsyncSession, campaign: Campaign) -> int:
    """Skip every row of the campaign not yet sent; how many."""
    waiting = await session.exec(
        select(Delivery).where(
            col(Delivery.campaign_id).in_(_runs(campaign)),
            col(Delivery.state).in_((DeliveryState.PENDING, DeliveryState.HELD)),
        )
    )
    stopped = 0
    for row in waiting:
        row.state, row.reason = DeliveryState.SKIPPED, "cancelled"
        stopped += 1
    return stopped
