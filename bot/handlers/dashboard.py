"""`/dashboard`: HR's way onto the web dashboard, a link by DM that works once, for 10
minutes (`bot/dashboard.py` serves the pages)."""

from __future__ import annotations

from datetime import timedelta

from bot.context import Context
from bot.events import CommandInvoked
from bot.messages import LinkButton, Message
from bot.router import Command, Role, Router
from storage.dashboard import new_link

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


router = Router(
    "dashboard",
    commands=(
        Command(
            "dashboard",
            dashboard,
            "A one-time link to the web dashboard, by DM.",
            role=Role.HR,
        ),
    ),
)
