"""What polls, events and competitions share: their messages are campaigns, the first (the
announcement) going out at once and the rest (reminders, results, surveys) at their times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.context import Context
from bot.kinds import CampaignKind, Launch, Reschedule
from bot.pages import Tab
from storage.campaigns import Audience
from storage.members import MemberFilter
from storage.models.states import CampaignStatus

CHANNELS = Audience(channels=True)  # every community channel
ACTIVITIES = Tab("activities", "Activities", 60)  # the dashboard tab of their reports

Step = tuple[CampaignKind, Audience, datetime]  # (what, to whom, when)


def registrants(segment: MemberFilter) -> Audience:
    """DMs to members who signed up for something, onboarded or not; their campaign kinds are
    solicited, so consent and the frequency cap don't hold them back."""
    return Audience(dm=True, segment=segment, everyone=True)


async def plan(ctx: Context[Any], subject_id: int, steps: Sequence[Step]) -> None:
    """Schedule an activity's campaigns (those still ahead); the first goes out now."""
    campaigns = [
        kind.campaign(
            subject_id,
            audience,
            ctx.now,
            status=CampaignStatus.SCHEDULED,
            scheduled_at=at,
            created_by_member_id=ctx.member_id,
        )
        for kind, audience, at in steps
        if at >= ctx.now
    ]
    ctx.session.add_all(campaigns)
    await ctx.session.flush()
    ctx.signal(Launch(campaigns[0].id or 0))
    ctx.signal(Reschedule())
