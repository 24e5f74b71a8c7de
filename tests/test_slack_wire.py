"""Slack on the wire: request signing, retries, rate limits, and the emulator's honesty."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.messages import DirectTarget, Message
from storage.db import Database
from storage.models import Member
from tests.emulators.slack import SlackEmulator, add_user
from tests.roost_on_slack import SlackRoost, roost_on_slack


@pytest.fixture
async def http_roost(sqlite_db: Database, clock: ManualClock) -> AsyncIterator[SlackRoost]:
    async with roost_on_slack(sqlite_db, clock, "http") as running:
        yield running


def slash(user_id: str, text: str) -> str:
    return urllib.parse.urlencode(
        {
            "command": "/roost",
            "text": text,
            "user_id": user_id,
            "user_name": "mallory",
            "channel_id": f"D{user_id}",
            "team_id": "T0ROOST",
            "trigger_id": "trigger-x-1",
            "response_url": "http://127.0.0.1:9/none",
            "api_app_id": "A0ROOST",
            "token": "t",
        }
    )


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("forged signature", {"secret": "not-the-secret"}),
        ("stale timestamp", {"timestamp": int(time.time()) - 301}),
        (
            "missing signature headers",
            {"headers": {"X-Slack-Signature": "", "X-Slack-Request-Timestamp": ""}},
        ),
    ],
)
async def test_requests_that_fail_signing_are_refused_and_nothing_is_processed(
    http_roost: SlackRoost, case: str, options: dict[str, object]
) -> None:
    mallory = add_user(http_roost.slack, "Mallory")
    status = await http_roost.slack.post_signed(
        slash(mallory.id, "join"),
        "application/x-www-form-urlencoded",
        **options,  # type: ignore[arg-type]
    )
    assert status == 401, case
    assert http_roost.app.handled == 0
    assert [c.method for c in http_roost.slack.calls if c.method == "chat.postMessage"] == []
    async with http_roost.app.db.session() as session:
        assert list(await session.exec(select(Member))) == []


async def test_a_correctly_signed_request_is_served(http_roost: SlackRoost) -> None:
    ana = add_user(http_roost.slack, "Ana")
    http_roost.slack.dm_channel(ana.id)
    status = await http_roost.slack.post_signed(
        slash(ana.id, "consent"), "application/x-www-form-urlencoded"
    )
    assert status == 200
    async with asyncio.timeout(10):
        await http_roost.app.wait_handled(1)
    assert "Your message choices" in ana.text()


async def test_an_event_slack_retries_is_handled_once(http_roost: SlackRoost) -> None:
    ana = add_user(http_roost.slack, "Ana")
    envelope = http_roost.slack.envelope(
        {"type": "app_home_opened", "user": ana.id, "tab": "home", "channel": f"D{ana.id}"}
    )
    body = json.dumps(envelope)
    first = await http_roost.slack.post_signed(body, "application/json")
    retry = await http_roost.slack.post_signed(
        body,
        "application/json",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    async with asyncio.timeout(10):
        await http_roost.app.wait_handled(1)
    await http_roost.act(ana.command("help"))  # a later request, handled after the retry
    assert (first, retry) == (200, 200)
    assert http_roost.app.handled == 2  # the home once, the command once
    assert sum(c.method == "views.publish" for c in http_roost.slack.calls) == 1


async def test_a_flood_loses_nothing_and_honours_retry_after(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_slack(sqlite_db, clock, minute=2.0) as roost:
        users = [add_user(roost.slack, f"User{i}") for i in range(70)]
        roost.slack.faults.storm = 2
        await asyncio.gather(
            *(
                roost.adapter.send(DirectTarget("slack", u.id), Message(f"News for {u.name}"))
                for u in users
            )
        )
        assert [len(u.messages()) for u in users] == [1] * 70  # nothing lost, nothing twice
        assert sum(c.status == 429 for c in roost.slack.calls) >= 2
        assert roost.slack.calls_inside_windows() == []


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    emulator = SlackEmulator()
    await emulator.start()
    add_user(emulator, "Ana")
    yield emulator
    await emulator.stop()


@pytest.mark.parametrize(
    ("method", "body", "token", "status", "error"),
    [
        ("chat.postMessage", {"text": "hi"}, "xoxb-roost-test", 200, "channel_not_found"),
        ("chat.postMessage", {"channel": "C0COMMUNITY"}, "xoxb-roost-test", 200, "no_text"),
        (
            "chat.postMessage",
            {"channel": "C0COMMUNITY", "blocks": [{"type": "marquee"}]},
            "xoxb-roost-test",
            200,
            "invalid_blocks",
        ),
        (
            "chat.postMessage",
            {
                "channel": "C0COMMUNITY",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
            },
            "xoxb-roost-test",
            200,
            "invalid_blocks",
        ),
        (
            "chat.postEphemeral",
            {"channel": "C0COMMUNITY", "text": "x"},
            "xoxb-roost-test",
            200,
            "invalid_arguments",
        ),
        (
            "views.open",
            {
                "trigger_id": "trigger-U0001ANA-1",
                "view": {
                    "type": "modal",
                    "title": {"type": "plain_text", "text": "A title far longer than allowed"},
                    "blocks": [],
                },
            },
            "xoxb-roost-test",
            200,
            "invalid_blocks",
        ),
        (
            "chat.postMessage",
            {"channel": "C0COMMUNITY", "text": "x"},
            "xoxb-wrong",
            200,
            "invalid_auth",
        ),
        ("chat.postMessage", {"channel": "C0COMMUNITY", "text": "x"}, "", 200, "not_authed"),
        ("apps.connections.open", {}, "xoxb-roost-test", 200, "not_allowed_token_type"),
        (
            "chat.scheduleMessagee",
            {"channel": "C0COMMUNITY"},
            "xoxb-roost-test",
            404,
            "unknown_method",
        ),
    ],
)
async def test_the_emulator_rejects_calls_that_break_the_spec(
    slack: SlackEmulator, method: str, body: dict[str, object], token: str, status: int, error: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{slack.url}/api/{method}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as response,
    ):
        answer = await response.json()
    assert (response.status, answer) == (status, {"ok": False, "error": error})


async def test_the_emulator_only_emits_events_the_spec_describes(slack: SlackEmulator) -> None:
    with pytest.raises(AssertionError, match="undocumented event type"):
        await slack.deliver("events_api", slack.envelope({"type": "made_up_event"}))
    import jsonschema

    broken = slack.envelope({"type": "team_join"})
    del broken["event_id"]
    with pytest.raises(jsonschema.ValidationError):
        await slack.deliver("events_api", broken)
