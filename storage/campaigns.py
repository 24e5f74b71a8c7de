"""Campaigns: who one reaches (its `Audience`), the members it names, and how far each got."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Update, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.members import ConsentKind, MemberFilter
from storage.models import Campaign, CampaignMember, Delivery
from storage.models.states import CampaignStatus, DeliveryState

ASKED = "asked"  # an audience's consent when members asked for it: never capped


@dataclass(frozen=True)
class Audience:
    """Who a campaign reaches, kept with it as JSON: posts in every community channel and/or
    DMs to a segment's members who gave `consent` (`asked`: they asked for these, so neither
    consent nor the frequency cap holds them back). `everyone` takes members who never
    finished onboarding too (an event's registrants); otherwise a segment means onboarded
    members. A feature may add one title for every row (`title`: a position, or `next`: the
    title after the one each member was sent last), the nurture step it sends, or the privacy
    notice's version it asks about. Stored with the keys an older Roost used."""

    channels: bool = False
    dm: bool = False
    segment: MemberFilter = field(default_factory=MemberFilter)
    consent: str = ConsentKind.NEWS
    everyone: bool = False
    title: str | int | None = None
    nurture_step: int | None = None
    version: str | None = None

    def members(self) -> MemberFilter:
        """The segment as the launch walks it."""
        if self.everyone or self.segment.onboarded is not None:
            return self.segment
        return dataclasses.replace(self.segment, onboarded=True)

    def stored(self) -> dict[str, Any]:
        kept: dict[str, Any] = {"channels": self.channels, "dm": self.dm}
        segment = self.segment.stored()
        if self.everyone:
            segment["onboarded"] = None
        if segment:
            kept["filter"] = segment
        if self.consent != ConsentKind.NEWS:
            kept["consent"] = str(self.consent)
        for name in ("title", "nurture_step", "version"):
            if (value := getattr(self, name)) is not None:
                kept[name] = value
        return kept

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Audience:
        """A campaign's audience as kept; a key no audience has is refused (ValueError)."""
        known = {f.name for f in dataclasses.fields(cls)} - {"segment", "everyone"} | {"filter"}
        unknown = set(stored) - known
        if unknown:
            raise ValueError(f"an audience has no {', '.join(sorted(unknown))}")
        segment = dict(stored.get("filter") or {})
        everyone = "onboarded" in segment and segment["onboarded"] is None
        if everyone:
            del segment["onboarded"]
        return cls(
            channels=bool(stored.get("channels")),
            dm=bool(stored.get("dm")),
            segment=MemberFilter.of(segment),
            consent=stored.get("consent") or ConsentKind.NEWS,
            everyone=everyone,
            title=stored.get("title"),
            nurture_step=stored.get("nurture_step"),
            version=stored.get("version"),
        )


WAITING = (
    DeliveryState.PENDING,
    DeliveryState.HELD,
    DeliveryState.CLAIMED,
    DeliveryState.SENDING,
)


def settled(campaign_ids: Sequence[int]) -> Update:
    """Those of these campaigns still sending whose every row has its outcome become done:
    run by the launch (nothing to send) and by each wave of the delivery worker."""
    waiting = (
        select(Delivery.id)
        .where(col(Delivery.campaign_id) == Campaign.id, col(Delivery.state).in_(WAITING))
        .exists()
    )
    return (
        update(Campaign)
        .where(
            col(Campaign.id).in_(campaign_ids),
            col(Campaign.status) == CampaignStatus.SENDING,
            ~waiting,
        )
        .values(status=CampaignStatus.DONE)
    )


async def settle(session: AsyncSession, campaign_ids: Sequence[int], _now: datetime) -> None:
    await session.exec(settled(campaign_ids))


async def list_members(session: AsyncSession, campaign: Campaign, members: Sequence[int]) -> None:
    """Make `campaign` (not yet added) one to exactly these members: they are listed with it
    a batch at a time, whatever their number, and its segment is the list."""
    session.add(campaign)
    await session.flush()
    assert campaign.id is not None
    audience = Audience.of(campaign.audience)
    segment = dataclasses.replace(audience.segment, listed=campaign.id)
    campaign.audience = dataclasses.replace(audience, dm=True, segment=segment).stored()
    for start in range(0, len(members), 5000):
        rows = [{"campaign_id": campaign.id, "member_id": m} for m in members[start : start + 5000]]
        await session.exec(insert(CampaignMember), params=rows)


async def latest(session: AsyncSession, limit: int = 20) -> list[Campaign]:
    """The newest campaigns HR made (a recurring one's runs are under it)."""
    query = (
        select(Campaign)
        .where(col(Campaign.parent_id).is_(None))
        .order_by(col(Campaign.id).desc())
        .limit(limit)
    )
    return list(await session.exec(query))


def _runs(campaign: Campaign) -> Any:
    """The campaign and, for a recurring one, each of its runs: where its rows are."""
    return select(Campaign.id).where(
        (col(Campaign.id) == campaign.id) | (col(Campaign.parent_id) == campaign.id)
    )


async def states(session: AsyncSession, campaign: Campaign) -> dict[str, int]:
    """How many of a campaign's rows (all runs) are in each state, counted by the database."""
    rows = await session.exec(
        select(col(Delivery.state), func.count())
        .where(col(Delivery.campaign_id).in_(_runs(campaign)))
        .group_by(col(Delivery.state))
    )
    return {state: count for state, count in rows}


async def stop(session: AsyncSession, campaign: Campaign) -> int:
    """Skip every row of the campaign not yet sent, in one statement; how many."""
    stopped = await session.exec(
        update(Delivery)
        .where(
            col(Delivery.campaign_id).in_(_runs(campaign)),
            col(Delivery.state).in_((DeliveryState.PENDING, DeliveryState.HELD)),
        )
        .values(state=DeliveryState.SKIPPED, reason="cancelled")
    )
    return stopped.rowcount or 0
