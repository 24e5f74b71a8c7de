"""Discord on the wire: pacing, closed DMs, polls, nonces, and the emulator's honesty."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.adapter import Undeliverable
from bot.clock import ManualClock
from bot.context import Context
from bot.events import CommandInvoked, PollAnswered
from bot.messages import ChannelTarget, DirectTarget, Message, PollSpec
from bot.router import Command, On, Router
from storage.db import Database
from tests.emulators.discord import DiscordEmulator, add_member
from tests.roost_on_discord import roost_on_discord


@pytest.mark.paced
async def test_a_flood_is_paced_to_the_global_limit(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        members = [add_member(roost.discord, f"User{i}") for i in range(60)]
        for member in members:
            await member.join(dispatch=False)
        roost.discord.limits.routes["create_message"] = (1000, 1.0)  # one channel each anyway
        await asyncio.gather(
            *(
                roost.adapter.send(DirectTarget("discord", m.id), Message(f"Hi {m.name}"))
                for m in members
            )
        )
        assert [len(m.messages()) for m in members] == [1] * 60  # nothing lost, nothing twice
        assert roost.discord.rate_limited() == 0  # paced in advance: no 429 at all


async def test_closed_dms_cost_one_invalid_request_each(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        closed = [add_member(roost.discord, f"Closed{i}") for i in range(10)]
        for member in closed:
            await member.join(dispatch=False)
            member.close_dms()
        for _ in range(3):  # three campaigns try everyone
            for member in closed:
                with pytest.raises(Undeliverable):
                    await roost.adapter.send(DirectTarget("discord", member.id), Message("News"))
        assert roost.discord.invalid_requests == 10  # the first 403 per member, then no more


async def test_native_polls_and_votes(sqlite_db: Database, clock: ManualClock) -> None:
    votes: list[PollAnswered] = []

    async def record(ctx: Context[PollAnswered]) -> None:
        votes.append(ctx.event)

    observer = Router("observer", events=(On(PollAnswered, record),))
    async with roost_on_discord(sqlite_db, clock, also=observer) as roost:
        group = ChannelTarget("discord", roost.discord.channel_id)
        sent = await roost.adapter.send_poll(group, PollSpec("Tabs or spaces?", ("Tabs", "Spaces")))
        posted = roost.discord.messages[roost.discord.channel_id][-1]
        assert [a["poll_media"]["text"] for a in posted["poll"]["answers"]] == ["Tabs", "Spaces"]
        ana = add_member(roost.discord, "Ana")
        await ana.join(dispatch=False)
        await roost.act(ana.vote(posted, 2))
    assert [(v.poll, v.options, v.origin.user.id) for v in votes] == [
        (sent.native_id, (1,), ana.id)
    ]


@pytest.fixture
async def discord_api() -> AsyncIterator[DiscordEmulator]:
    emulator = DiscordEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


async def call(
    emulator: DiscordEmulator, method: str, path: str, body: object
) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bot {emulator.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, f"{emulator.url}/api/v10{path}", json=body, headers=headers
        ) as response,
    ):
        assert response.headers["Content-Type"] == "application/json"
        return response.status, json.loads(await response.text())


async def test_a_repeated_nonce_returns_the_first_message(discord_api: DiscordEmulator) -> None:
    channel = discord_api.channel_id
    body = {"content": "Open day on Friday", "nonce": "campaign-7-member-3", "enforce_nonce": True}
    first = await call(discord_api, "POST", f"/channels/{channel}/messages", body)
    again = await call(discord_api, "POST", f"/channels/{channel}/messages", body)
    assert first[1]["id"] == again[1]["id"]
    assert len(discord_api.messages[channel]) == 1


def command(name: str, *options: tuple[str, bool]) -> dict[str, object]:
    return {
        "name": name,
        "description": "d",
        "type": 1,
        "options": [
            {"type": 3, "name": option, "description": "o", "required": required}
            for option, required in options
        ],
    }


@pytest.mark.parametrize(
    ("rule", "commands", "code"),
    [
        ("a command name is lowercase", [command("Join")], "APPLICATION_COMMAND_INVALID_NAME"),
        ("a command name has no space", [command("my jobs")], "APPLICATION_COMMAND_INVALID_NAME"),
        (
            "an option name is lowercase",
            [command("jobs", ("Action", True))],
            "APPLICATION_COMMAND_INVALID_NAME",
        ),
        (
            "a required option comes before any optional one",
            [command("jobs", ("action", False), ("job", True))],
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        ),
    ],
)
async def test_the_emulator_refuses_commands_discord_refuses(
    discord_api: DiscordEmulator, rule: str, commands: list[object], code: str
) -> None:
    path = f"/applications/{discord_api.app_id}/guilds/{discord_api.guild_id}/commands"
    status, body = await call(discord_api, "PUT", path, commands)
    assert (status, body["message"]) == (400, "Invalid Form Body"), rule
    assert code in json.dumps(body["errors"]), rule


async def test_an_interaction_answered_after_three_seconds_is_unknown(
    discord_api: DiscordEmulator,
) -> None:
    ana = add_member(discord_api, "Ana")
    await ana.join(dispatch=False)
    discord_api.interactions["1"] = {
        "id": "1", "token": "t", "responded": False, "issued": time.monotonic() - 3.5,
        "channel_id": discord_api.channel_id, "user": ana.account, "replies": [],
        "member": ana.id, "type": 3,
    }  # fmt: skip
    status, body = await call(
        discord_api, "POST", "/interactions/1/t/callback", {"type": 4, "data": {"content": "x"}}
    )
    assert (status, body["code"]) == (404, 10062)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/channels/{c}/messages", {"content": 42}, 400, "Invalid Form Body"),
        ("POST", "/channels/{c}/messages", {"embeds": "not a list"}, 400, "Invalid Form Body"),
        ("POST", "/channels/{c}/messages", {}, 400, "Cannot send an empty message"),
        ("POST", "/channels/{c}/messages", {"content": "x" * 2001}, 400, "Invalid Form Body"),
        (
            "POST",
            "/users/@me/channels",
            {"recipient_id": "not-a-snowflake"},
            400,
            "Invalid Form Body",
        ),
        ("POST", "/channels/{c}/flying-carpets", {}, 404, "404: Not Found"),
        *(
            ("POST", "/channels/{c}/messages", {"embeds": [embed]}, 400, "Invalid Form Body")
            for embed in (
                {"title": "x" * 257},  # the spec's own limits
                {"description": "x" * 4097},
                {"fields": [{"name": "n", "value": "v" * 1025}]},
                {"fields": [{"name": "n", "value": "v"}] * 26},
                {"footer": {"text": "x" * 2049}},
                {"fields": [{"name": "", "value": "v"}]},  # and Discord's beyond them
                {"description": "x" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 3},
            )
        ),
        (
            "POST",
            "/channels/{c}/messages",
            {"embeds": [{"description": "x" * 3000}, {"description": "y" * 3001}]},
            400,
            "Invalid Form Body",
        ),
        *(
            (
                "POST",
                "/channels/{c}/messages",
                {"content": "x", "components": [{"type": 1, "components": buttons}]},
                400,
                "Invalid Form Body",
            )
            for buttons in (
                [{"type": 2, "style": 1, "label": "x" * 81, "custom_id": "a"}],
                [{"type": 2, "style": 1, "label": "x", "custom_id": "c" * 101}],
                [{"type": 2, "style": 1, "label": "x", "custom_id": "same"}] * 2,
                [{"type": 2, "style": 1, "label": "x", "custom_id": str(i)} for i in range(6)],
            )
        ),
    ],
)
async def test_the_emulator_rejects_calls_that_break_the_spec(
    discord_api: DiscordEmulator, method: str, path: str, body: object, status: int, message: str
) -> None:
    answer = await call(discord_api, method, path.format(c=discord_api.channel_id), body)
    assert answer[0] == status and answer[1]["message"] == message


async def test_the_emulator_refuses_a_wrong_token(discord_api: DiscordEmulator) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{discord_api.url}/api/v10/users/@me", headers={"Authorization": "Bot wrong"}
        ) as response,
    ):
        assert response.status == 401
    assert discord_api.invalid_requests == 1


async def test_slow_work_is_deferred_then_answered(sqlite_db: Database, clock: ManualClock) -> None:
    release = asyncio.Event()

    async def slow(ctx: Context[CommandInvoked]) -> None:
        await release.wait()  # work that outlasts Discord's patience
        ctx.reply("Finally done.")

    slow_router = Router("slow", commands=(Command("report", slow, "A slow report."),))
    async with roost_on_discord(sqlite_db, clock, also=slow_router, defer_after=0.05) as roost:
        ana = await roost.member("Ana")
        interaction = await ana.slash("report")
        await roost.discord.wait_for(lambda: interaction.get("deferred", False))
        release.set()
        await roost.discord.wait_for(lambda: bool(interaction["replies"]))
    assert "Finally done." in interaction["replies"][0]["embeds"][0]["description"]


async def test_the_largest_message_the_core_makes_is_one_discord_takes(
    sqlite_db: Database, clock: ManualClock
) -> None:
    from bot.messages import ActionButton, LinkButton, MessageField

    message = Message(
        title="T" * 300,
        body="B" * 10_000,
        fields=tuple(MessageField(f"name {i}", "v" * 2000) for i in range(30)),
        buttons=(
            *(ActionButton("L" * 100, "act", str(i)) for i in range(24)),
            LinkButton("Too long to link", "https://example.com/" + "x" * 600),
        ),
    )
    async with roost_on_discord(sqlite_db, clock) as roost:
        member = add_member(roost.discord, "Ana")
        await member.join(dispatch=False)
        await roost.adapter.send(DirectTarget("discord", member.id), message)
        (sent,) = member.messages()
    (shown,) = sent["embeds"]
    total = len(shown["title"]) + len(shown.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in shown["fields"])
    assert total <= 6000 and len(shown["fields"]) <= 25
    assert sum(len(row["components"]) for row in sent["components"]) == 24
