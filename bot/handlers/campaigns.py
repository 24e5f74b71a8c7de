"""`/campaigns` and `/cancel`: what Roost sent or will send on its own initiative, by kind and
subject, how far each got (by state, and what is left), and stopping one."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.events import CommandInvoked
from bot.kinds import Reschedule
from bot.pages import Tab
from bot.parsing import ident
from bot.reports import Column, Query, Report, Sheet, as_message
from bot.router import Arg, Command, Role, Router
from storage.campaigns import WAITING, latest, states, stop
from storage.models import Campaign
from storage.models.states import CampaignStatus


def local(at: datetime, timezone: str) -> str:
    """A time as HR reads it: in the community's timezone, which it names."""
    return f"{at.astimezone(ZoneInfo(timezone)):%a %d %b %Y %H:%M} ({timezone})"


class CampaignRow(NamedTuple):
    campaign: Campaign
    kind: str  # as HR reads it
    subject: str
    when: str
    counts: str  # its rows by state, and what is left


async def campaigns_sheet(query: Query) -> Sheet[CampaignRow]:
    """The newest campaigns: kind and subject, state, when, and how far each got."""
    tz, rows = query.settings.community.timezone, []
    for campaign in await latest(query.session, limit=50):
        kind = query.kinds.get(campaign.kind)
        label = kind.shown if kind else campaign.kind.replace("_", " ")
        named = await kind.subject.named(query.session, campaign.subject_id) if kind else ""
        when = (
            f"every {campaign.recurrence}"
            if campaign.recurrence
            else local(campaign.scheduled_at or campaign.created_at, tz)
        )
        counts = await states(query.session, campaign)
        left = sum(n for state, n in counts.items() if state in WAITING)
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing sent yet"
        if left and campaign.status == CampaignStatus.SENDING:
            shown += f"; {left} still to go"
        rows.append(CampaignRow(campaign, label, named, when, shown))
    return Sheet(
        "Campaigns",
        (
            Column("#", lambda r: r.campaign.id),
            Column("kind", lambda r: r.kind),
            Column("subject", lambda r: r.subject),
            Column("status", lambda r: r.campaign.status),
            Column("when", lambda r: r.when),
            Column("rows", lambda r: r.counts),
        ),
        rows,
        sentence=lambda r: (
            f"#{r.campaign.id} {r.kind}"
            + (f" “{r.subject}”" if r.subject else "")
            + f" · {r.campaign.status} · {r.when} · {r.counts}"
        ),
        empty="No campaigns yet.",
    )


REPORT = Report(
    "campaigns",
    "What went out or waits, by kind, and how far each got.",
    campaigns_sheet,
    Tab("campaigns", "Campaigns", 25),
)


async def campaigns(ctx: Context[CommandInvoked]) -> None:
    sheet = await campaigns_sheet(ctx.query())
    if not sheet.rows:
        ctx.reply(f"No campaigns yet. {ctx.cmd('schedule')} makes one.")
        return
    ctx.reply(await as_message(sheet))


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
    reports=(REPORT,),
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
