"""A campaign kind is its feature's alone: declared with the feature's router, it is composed,
launched, capped or not, and delivered without the core, the scheduler or the outbox knowing
its name. This feature lives only in this file."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from sqlmodel import select

from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.clock import ManualClock
from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers import root_router
from bot.kinds import CampaignKind, Launch, Launching, Render, Subject
from bot.messages import Message
from bot.router import Command, Role, Router, Routes
from bot.settings import Settings
from storage.campaigns import Audience
from storage.db import Database, Session
from storage.models import Campaign, Delivery
from tests.chat import Chat


async def compose(_session: Session, campaign: Campaign, _subject: None) -> Render:
    return lambda _row: Message(f"Nudge #{campaign.id}: your interview is tomorrow.")


async def leave_out_the_first(
    _session: Session, _run: Campaign, _now: datetime, _settings: Settings
) -> Launching:
    return Launching(exclude={1: "already nudged by hand"})


NUDGE = CampaignKind(
    "nudge", Subject("nudge"), lambda _s: compose, solicited=True, launching=leave_out_the_first
)


async def nudge(ctx: Context[CommandInvoked]) -> None:
    campaign = NUDGE.campaign(0, Audience(dm=True), ctx.now)
    ctx.session.add(campaign)
    await ctx.session.flush()
    ctx.signal(Launch(campaign.id or 0))
    ctx.reply(f"Nudging as campaign #{campaign.id}.")


nudges = Router(
    "nudges",
    commands=(Command("nudge", nudge, "Remind candidates of their interview.", role=Role.HR),),
    kinds=(NUDGE,),
)


async def test_a_feature_adds_a_campaign_kind_with_its_router_alone(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(user="guest", out=out, interactive=False)
    routes = Routes(Router("roost", children=(root_router(), nudges)))
    chat = Chat(build_app(settings, [console], db, clock, routes), console, out)
    for name in ("ana", "ben", "cy"):
        await chat.onboard(name, news="no", jobs="no")  # no consent: only asked-for DMs reach
    assert "Nudging as campaign #1." in await chat.say("/nudge", as_="hr")
    await chat.app.worker.drain()
    text = out.getvalue()
    assert "[DM to ben]\nNudge #1" in text and "[DM to cy]\nNudge #1" in text
    assert "[DM to ana]\nNudge #1" not in text  # left out by the kind's own launch
    async with db.session() as session:
        rows = {r.recipient: (r.state, r.reason) for r in await session.exec(select(Delivery))}
        campaign = await session.get(Campaign, 1)
    assert sorted(state for state, _ in rows.values()) == ["sent", "sent", "skipped"]
    assert ("skipped", "already nudged by hand") in rows.values()
    assert campaign is not None and campaign.audience["consent"] == "asked"  # never capped


async def broken_launch(
    _session: Session, _run: Campaign, _now: datetime, _s: Settings
) -> Launching:
    raise OverflowError("date value out of range")


async def test_a_launch_that_fails_is_logged_and_roost_serves_on(
    settings: Settings, db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    broken = Router(
        "broken",
        commands=(Command("nudge", nudge, "Remind candidates.", role=Role.HR),),
        kinds=(
            CampaignKind("nudge", Subject("nudge"), lambda _s: compose, launching=broken_launch),
        ),
    )
    out = io.StringIO()
    console = ConsoleAdapter(user="guest", out=out, interactive=False)
    routes = Routes(Router("roost", children=(root_router(), broken)))
    chat = Chat(build_app(settings, [console], db, clock, routes), console, out)
    assert "Nudging as campaign #1." in await chat.say("/nudge", as_="hr")
    assert "could not act on Launch(campaign_id=1)" in caplog.text
    assert "Your message choices" in await chat.say("/consent", as_="hr")  # still serving


async def test_a_campaign_whose_feature_is_gone_sends_nothing_and_says_why(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.onboard("ana", news="yes")
    async with chat.app.db.session() as session:
        orphan = Campaign(
            kind="retired_digest",
            subject_type="retired",
            subject_id=0,
            audience={"dm": True},
            created_at=chat.app.clock.now(),
        )
        session.add(orphan)
        await session.commit()
    assert await chat.app.campaigns.launch(orphan.id or 0) is None
    assert "no feature sends kind 'retired_digest'" in caplog.text
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Delivery))) == []
