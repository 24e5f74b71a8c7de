"""`/campaigns` and `/cancel`: what Roost sent or will send on its own initiative, by kind and
subject, how far each got (by state, and what is left), and stopping one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.events import CommandInvoked
from bot.kinds import Reschedule
from bot.messages import Message
from bot.parsing import ident
from bot.router import Arg, Command, Role, Router
from storage.campaigns import WAITING, latest, states, stop
from storage.models import Campaign
from storage.models.states import CampaignStatus


def local(at: datetime, timezone: str) -> str:
    """A time as HR reads it: in the community's timezone, which it names."""
    return f"{at.astimezone(ZoneInfo(timezone)):%a %d %b %Y %H:%M} ({timezone})"


async def line(ctx: Context[CommandInvoked], campaign: Campaign) -> str:
    """A campaign in one line: its kind and subject, its state, when, and its rows' states."""
    kind = ctx.kinds.get(campaign.kind)
    label = kind.shown if kind else campaign.kind.replace("_", " ")
    named = await kind.subject.named(ctx.session, campaign.subject_id) if kind else ""
    subject = f" “{named}”" if named else ""
    tz = ctx.settings.community.timezone
    when = (
        f"every {campaign.recurrence}"
        if campaign.recurrence
        else local(campaign.scheduled_at, tz)
        if campaign.scheduled_at
        else local(campaign.created_at, tz)
    )
    counts = await states(ctx.session, campaign)
    left = sum(n for state, n in counts.items() if state in WAITING)
    shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing sent yet"
    if left and campaign.status == CampaignStatus.SENDING:
        shown += f"; {left} still to go"
    return f"#{campaign.id} {label}{subject} · {campaign.status} · {when} · {shown}"


async def campaigns(ctx: Context[CommandInvoked]) -> None:
    rows = await latest(ctx.session)
    if not rows:
        ctx.reply(f"No campaigns yet. {ctx.cmd('schedule')} makes one.")
        return
    ctx.reply(Message(title="Campaigns", body="\n".join([await line(ctx, c) for c in rows])))


async def cancel(ctx: Context[CommandInvoked]) -> None:
    number = ident(ctx.args["campaign"])
    campaign = await ctx.session.get(Campaign, number) if number else None
    if campaign is None:
        ctx.refuse(
            f"There is no campaign {ctx.args['campaign'][:20]}. {ctx.cmd('campaigns')} lists them."
        )
        return
    campaign.status = CampaignStatus.CANCELLED
    stopped = await stop(ctx.session, campaign)
    ctx.signal(Reschedule())
    ctx.audit("campaigns.cancel", campaign=campaign.id, stopped=stopped)
    ctx.reply(f"Campaign #{campaign.id} cancelled; {stopped} messages not yet sent will not be.")


router = Router(
    "campaigns",
    commands=(
        Command(
            "campaigns",
            campaigns,
            "What went out or waits, by kind, and how far each got.",
            role=Role.HR,
        ),
        Command("cancel", cancel, "Stop a campaign.", role=Role.HR, args=(Arg("campaign"),)),
    ),
)
