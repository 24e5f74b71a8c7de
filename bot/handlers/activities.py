"""What polls, events and competitions share: their messages are campaigns, the first (the
announcement) going out at once and the rest (reminders, results, surveys) at their times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.context import Context
from bot.kinds import Launch, Reschedule
from storage.models import Campaign
from storage.models.states import CampaignStatus

CHANNELS: dict[str, Any] = {"channels": True, "dm": False}  # every community channel

Step = tuple[str, dict[str, Any], datetime]  # (campaign kind, audience, when)


def registrants(filter_: dict[str, Any]) -> dict[str, Any]:
    """DMs to members who signed up for something, onboarded or not; their campaign kinds are
    solicited, so consent and the frequency cap don't hold them back."""
    return {"dm": True, "filter": {**filter_, "onboarded": None}}


async def plan(
    ctx: Context[Any], subject_type: str, subject_id: int, steps: Sequence[Step]
) -> None:
    """Schedule an activity's campaigns (those still ahead); the first goes out now."""
    campaigns = [
        Campaign(
            kind=kind,
            subject_type=subject_type,
            subject_id=subject_id,
            audience=audience,
            status=CampaignStatus.SCHEDULED,
            scheduled_at=at,
            created_by_member_id=ctx.member_id,
            created_at=ctx.now,
        )
        for kind, audience, at in steps
        if at >= ctx.now
    ]
    ctx.session.add_all(campaigns)
    await ctx.session.flush()
    ctx.signal(Launch(campaigns[0].id or 0))
    ctx.signal(Reschedule())
