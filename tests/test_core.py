"""The core's promises: helpful answers to mistakes, roles checked, nothing half-written."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.clock import ManualClock
from bot.context import Context
from bot.events import Chat as Where
from bot.events import ChatKind, CommandInvoked, MemberJoined, MemberLeft, Origin, User
from bot.handlers import root_router
from bot.router import Arg, Command, Role, Router, Routes
from bot.settings import LimitSettings, Settings
from storage.db import Database
from storage.models import Label, Member
from tests.chat import Chat
from tests.test_membership import add_code, member_named


async def test_unknown_commands_and_malformed_arguments_get_short_help(chat: Chat) -> None:
    assert "I don't know /fly. Type /help" in await chat.say("/fly away", as_="ana")
    seen = await chat.say("/consent jobs maybe", as_="ana")
    assert "Hmm, state must be one of on, off. Usage: /consent [news|jobs] [on|off]" in seen
    seen = await chat.say("/label", as_="hr")
    assert "Hmm, member is missing. Usage: /label <member> <label…> — Add a label" in seen
    assert "a quote is not closed" in await chat.say('/label "@ana x', as_="hr")
    assert "Traceback" not in chat.out.getvalue()


async def test_help_shows_hr_commands_only_to_hr(chat: Chat) -> None:
    member_help = await chat.say("/help", as_="ana")
    hr_help = await chat.say("/help", as_="hr")
    assert "/profile" in member_help and "/members" not in member_help
    assert "For HR" in hr_help and "/members" in hr_help and "/label" in hr_help
    assert "There's no /members for you" in await chat.say("/help members", as_="ana")
    assert "/members [filters…]" in await chat.say("/help /members", as_="hr")


async def test_admins_may_do_what_hr_does(chat: Chat) -> None:
    await chat.onboard("ana")
    assert "Labelled" in await chat.say("/label @ana vip", as_="boss")


async def test_platform_roles_from_configuration_are_honoured(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings.model_validate(
        {"web": {"enabled": False}, "roles": {"hr": ["console:recruiters"]}}
    )
    app = build_app(settings, [ConsoleAdapter(out=io.StringIO(), interactive=False)], db, clock)
    from bot.roles import role_of

    recruiter = User("console", "zoe", platform_roles=frozenset({"recruiters"}))
    assert role_of(settings.roles, recruiter) is Role.HR
    assert role_of(settings.roles, User("console", "zoe")) is Role.MEMBER
    assert app.routes.commands["members"].role is Role.HR


async def test_a_button_nobody_knows_is_answered_politely(chat: Chat) -> None:
    from bot.events import ActionPressed

    origin = chat.console._origin()
    await chat.app.handle(ActionPressed(origin=origin, action="old.feature", value="1"))
    assert "That button no longer does anything" in chat.out.getvalue()


async def test_plain_text_in_a_dm_points_to_help_and_in_the_channel_is_ignored(chat: Chat) -> None:
    assert "I answer commands" in await chat.say("hello?", as_="ana")
    assert await chat.say("hello everyone", as_="ana", channel=True) == ""


async def test_commands_are_rate_limited_per_person(chat: Chat, clock: ManualClock) -> None:
    seen = await chat.say(*["/help"] * 21, as_="ana")
    assert seen.count("going a little fast") == 1
    assert "going a little fast" not in await chat.say("/help", as_="ben")
    assert await chat.say("/help", as_="ana") == ""  # warned once, then quiet
    clock.advance(timedelta(minutes=1))
    assert "/profile" in await chat.say("/help", as_="ana")


async def test_a_failing_handler_changes_nothing_and_says_sorry(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    async def half_then_crash(ctx: Context[CommandInvoked]) -> None:
        ctx.session.add(Label(member_id=ctx.member_id, name="half", created_at=ctx.now))
        ctx.reply("Done!")
        await ctx.session.flush()
        raise RuntimeError("boom")

    broken = Router("broken", commands=(Command("crash", half_then_crash, "Crashes."),))
    out = io.StringIO()
    console = ConsoleAdapter(out=out, interactive=False)
    app = build_app(
        settings, [console], db, clock, Routes(Router("t", children=(root_router(), broken)))
    )
    await console.process("/crash", app.handle)
    assert "Sorry, something went wrong on our side and nothing was changed." in out.getvalue()
    assert "Done!" not in out.getvalue()
    async with db.session() as session:
        assert list(await session.exec(select(Label))) == []
        assert list(await session.exec(select(Member))) == []  # the first contact rolled back too


def test_two_features_cannot_claim_the_same_command() -> None:
    async def noop(ctx: Context[CommandInvoked]) -> None:
        return None

    one = Router("one", commands=(Command("join", noop, "x"),))
    with pytest.raises(ValueError, match="'join' is already routed"):
        Routes(Router("root", children=(root_router(), one)))


def test_greedy_and_quoted_arguments() -> None:
    async def noop(ctx: Context[CommandInvoked]) -> None:
        return None

    command = Command("x", noop, "x", args=(Arg("a"), Arg("b", rest=True)))
    assert command.parse('"two words"  and the rest ') == {"a": "two words", "b": "and the rest"}
    assert command.parse("", {"a": "1", "b": "2"}) == {"a": "1", "b": "2"}


async def test_platform_joins_and_leaves_are_recorded(chat: Chat) -> None:
    await add_code(chat, "EVENT7", "event")
    user = User("console", "dora", name="Dora", handle="dora")
    origin = Origin(user, Where("console", "community", ChatKind.CHANNEL))
    await chat.app.handle(MemberJoined(origin=origin, invite="EVENT7"))
    assert "Welcome! Tell us a little about yourself" in chat.out.getvalue()
    assert "[1] Join the community" in chat.out.getvalue()
    await chat.app.handle(MemberLeft(origin=origin))
    dora = await member_named(chat, "dora")
    assert dora.joined_at is not None and dora.left_at is not None
    seen = await chat.say("/profile", as_="dora")
    assert "You haven't joined yet" in seen


async def test_the_health_endpoint_answers(db: Database, clock: ManualClock) -> None:
    settings = Settings.model_validate({"web": {"port": 0}})
    app = build_app(settings, [ConsoleAdapter(out=io.StringIO(), interactive=False)], db, clock)
    await app.web.start()
    try:
        url = f"http://127.0.0.1:{app.web.port}/healthz"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok", "platforms": ["console"]}
    finally:
        await app.web.stop()


async def test_answering_a_long_form_is_not_rate_limited(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    limited = settings.model_copy(update={"limits": LimitSettings(commands_per_minute=3)})
    chat = Chat.start(limited, db, clock)
    seen = await chat.say("/compose", "1", "A title", "-", "-", "Some text.", "-", "-", as_="hr")
    assert "going a little fast" not in seen and "Saved as content #1" in seen
