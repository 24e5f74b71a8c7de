"""`/dashboard`: HR's way onto the web dashboard, a link by DM that works once, for 10
minutes; and the dashboard's first page, the overview (`bot/dashboard.py` is the frame every
page is served in)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.context import Context
from bot.events import CommandInvoked
from bot.messages import LinkButton, Message
from bot.pages import Page, Tab, Visit
from bot.pictures import grouped_png
from bot.reports import inline
from bot.router import Command, Role, Router
from storage import dashboard as sessions
from storage.dashboard import new_link
from storage.members import MemberFilter, search
from storage.pipeline import sources

LINK_TTL = timedelta(minutes=10)


async def dashboard(ctx: Context[CommandInvoked]) -> None:
    token = await new_link(ctx.session, ctx.member_id, ctx.now, LINK_TTL)
    url = f"{ctx.settings.web.public_url.rstrip('/')}/dashboard/signin?token={token}"
    ctx.dm(
        Message(
            title="Your dashboard link",
            body="It works once, for 10 minutes, and signs this browser in for 8 hours. "
            f"Don't pass it on.\n{url}",
            buttons=(LinkButton("Open the dashboard", url),),
        )
    )


# -- the overview page -------------------------------------------------------------------------


async def overview(_request: web.Request, visit: Visit) -> web.StreamResponse:
    """The community at a glance: members by platform, where they come from, joins and leaves
    per week, what is scheduled."""
    now, db = visit.now, visit.session
    total, _ = await search(db, MemberFilter(), now, limit=0)
    rows = await sources(db, now - timedelta(days=visit.settings.pipeline.active_days))
    chart = ""
    if rows:
        drawn = await grouped_png(
            "Members by source",
            [r.source for r in rows],
            [("joined", [r.joined for r in rows]), ("active", [r.active for r in rows]),
             ("invited", [r.invited for r in rows]), ("applied", [r.applied for r in rows])],
            svg=True,
        )  # fmt: skip
        chart = inline(drawn)
    weeks = await sessions.weekly(db, now)
    trend = await grouped_png(
        "Joins and leaves per week",
        [f"{start:%d %b}" for start, _, _ in reversed(weeks)],
        [("joined", [j for _, j, _ in reversed(weeks)]),
         ("left", [g for _, _, g in reversed(weeks)])],
        svg=True,
    )  # fmt: skip
    ahead = [
        (c.id, c.kind.replace("_", " "), f"#{c.subject_id}",
         c.recurrence or (f"{c.scheduled_at:%Y-%m-%d %H:%M}" if c.scheduled_at else "now"))
        for c in await sessions.scheduled(db)
    ]  # fmt: skip
    return visit.render(
        "overview.html", title="Overview", members=total,
        platforms=await sessions.members_by_platform(db), sources=rows, chart=chart,
        active=await sessions.active_since(db, now - timedelta(days=7)), weeks=weeks,
        trend=inline(trend), scheduled=ahead,
    )  # fmt: skip


router = Router(
    "dashboard",
    pages=(Page("", "overview", overview, Tab("", "Overview", 0)),),
    commands=(
        Command(
            "dashboard",
            dashboard,
            "A one-time link to the web dashboard, by DM.",
            role=Role.HR,
        ),
    ),
)
