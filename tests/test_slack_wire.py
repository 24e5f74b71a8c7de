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

MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "A form"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}],
}


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
        ("a timestamp that is no number", {"headers": {"X-Slack-Request-Timestamp": "soon"}}),
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


@pytest.mark.parametrize(
    ("body", "kind"),
    [("null", "application/json"), ("[1]", "application/json"),
     ("payload=null", "application/x-www-form-urlencoded")],
)  # fmt: skip
async def test_a_signed_body_that_is_no_slack_request_is_a_bad_request(
    http_roost: SlackRoost, body: str, kind: str
) -> None:
    assert await http_roost.slack.post_signed(body, kind) == 400
    assert http_roost.app.handled == 0


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
        await http_roost.app.wait_handled(2)  # the retry is refused by its event id
    await http_roost.act(ana.command("help"))  # a later request, handled after the retry
    assert (first, retry) == (200, 200)
    assert http_roost.app.handled == 3
    assert sum(c.method == "views.publish" for c in http_roost.slack.calls) == 1


@pytest.mark.paced
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
            "invalid_arguments",
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
    assert (response.status, answer["ok"], answer["error"]) == (status, False, error)


def modal(*blocks: dict[str, object], **extra: object) -> dict[str, object]:
    title = {"type": "plain_text", "text": "Compose"}
    view = {"type": "modal", "title": title, "submit": title, "blocks": list(blocks), **extra}
    return {key: value for key, value in view.items() if value is not None}


def text_input(**element: object) -> dict[str, object]:
    label = {"type": "plain_text", "text": "Body"}
    return {"type": "input", "label": label, "element": {"type": "plain_text_input", **element}}


def choice(kind: str, values: list[str]) -> dict[str, object]:
    options = [{"text": {"type": "plain_text", "text": v[:75]}, "value": v} for v in values]
    label = {"type": "plain_text", "text": "Pick"}
    return {"type": "input", "label": label, "element": {"type": kind, "options": options}}


def section(text: str, **extra: object) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


TRIGGER = "trigger-U0001ANA-1"


@pytest.mark.parametrize(
    ("rule", "method", "body", "error"),
    [
        (
            "users.info reads form arguments only",
            "users.info",
            {"user": "U0001ANA"},
            "user_not_found",
        ),
        (
            "usergroups.users.list reads form arguments only",
            "usergroups.users.list",
            {"usergroup": "S0HR"},
            "invalid_arguments",
        ),
        (
            "conversations.info reads form arguments only",
            "conversations.info",
            {"channel": "C0COMMUNITY"},
            "channel_not_found",
        ),
        (
            "an input's max_length is 3000 at most",
            "views.open",
            {"trigger_id": TRIGGER, "view": modal(text_input(max_length=6000))},
            "invalid_arguments",
        ),
        (
            "an initial value fits its max_length",
            "views.open",
            {
                "trigger_id": TRIGGER,
                "view": modal(text_input(max_length=5, initial_value="toolong")),
            },
            "invalid_arguments",
        ),
        (
            "a modal with inputs has a submit button",
            "views.open",
            {"trigger_id": TRIGGER, "view": modal(text_input(), submit=None)},
            "invalid_arguments",
        ),
        (
            "an option's value is 150 characters at most",
            "views.open",
            {"trigger_id": TRIGGER, "view": modal(choice("static_select", ["x" * 151]))},
            "invalid_arguments",
        ),
        (
            "radio buttons have 10 options at most",
            "views.open",
            {
                "trigger_id": TRIGGER,
                "view": modal(choice("radio_buttons", [str(i) for i in range(11)])),
            },
            "invalid_arguments",
        ),
        (
            "private_metadata is 3000 characters at most",
            "views.open",
            {"trigger_id": TRIGGER, "view": modal(private_metadata="x" * 3001)},
            "invalid_arguments",
        ),
        (
            "a view holds 100 blocks at most",
            "views.publish",
            {"user_id": "U0001ANA", "view": {"type": "home", "blocks": [section("x")] * 101}},
            "invalid_arguments",
        ),
        (
            "a message holds 50 blocks at most",
            "chat.postMessage",
            {"channel": "C0COMMUNITY", "blocks": [section("x")] * 51},
            "invalid_blocks",
        ),
        (
            "a section's text is 3000 characters at most",
            "chat.postMessage",
            {"channel": "C0COMMUNITY", "blocks": [section("x" * 3001)]},
            "invalid_blocks",
        ),
        (
            "block ids are unique",
            "chat.postMessage",
            {
                "channel": "C0COMMUNITY",
                "blocks": [section("a", block_id="b"), section("c", block_id="b")],
            },
            "invalid_blocks",
        ),
        (
            "a button's label is 75 characters at most",
            "chat.postMessage",
            {
                "channel": "C0COMMUNITY",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}
                        ],
                    }
                ],
            },
            "invalid_blocks",
        ),
        (
            "a context block has 10 elements at most",
            "chat.postMessage",
            {
                "channel": "C0COMMUNITY",
                "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}],
            },
            "invalid_blocks",
        ),
        (
            "a message's text is 40000 characters at most",
            "chat.postMessage",
            {"channel": "C0COMMUNITY", "text": "x" * 40001},
            "msg_too_long",
        ),
        (
            "a button's style is primary or danger; default is leaving it out",
            "chat.postMessage",
            {
                "channel": "C0COMMUNITY",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "text": {"type": "plain_text", "text": "Go"},
                                "style": "default",
                            }
                        ],
                    }
                ],
            },
            "invalid_blocks",
        ),
        (
            "a trigger_id Slack never issued opens nothing",
            "views.open",
            {"trigger_id": "trigger-U0NOBODY-1", "view": MODAL},
            "invalid_trigger_id",
        ),
    ],
)
async def test_the_emulator_refuses_what_slack_refuses(
    slack: SlackEmulator, rule: str, method: str, body: dict[str, object], error: str
) -> None:
    headers = {"Authorization": "Bearer xoxb-roost-test"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{slack.url}/api/{method}", json=body, headers=headers) as response,
    ):
        answer = await response.json()
    assert (answer["ok"], answer["error"]) == (False, error), rule


async def test_a_trigger_id_opens_one_view_within_three_seconds(slack: SlackEmulator) -> None:
    headers = {"Authorization": "Bearer xoxb-roost-test"}
    fresh, stale = slack.issue_trigger("trigger-a-1"), slack.issue_trigger("trigger-a-2")
    slack.triggers[stale] -= 3.5  # issued three and a half seconds ago
    errors = []
    async with aiohttp.ClientSession() as http:
        for trigger in (fresh, fresh, stale):
            body = {"trigger_id": trigger, "view": MODAL}
            async with http.post(f"{slack.url}/api/views.open", json=body, headers=headers) as r:
                errors.append((await r.json()).get("error"))
    assert errors == [None, "exchanged_trigger_id", "expired_trigger_id"]


async def test_onboarding_opens_its_modal_in_time_at_a_second_a_call(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """Slack as an independent fake measured it: about 0.7 s a call. The modal is the first
    call a /roost join makes, so at a full second a call it still opens within the three
    seconds its trigger_id lives; the privacy notice and the name follow it."""
    async with roost_on_slack(sqlite_db, clock) as roost:
        ana = roost.user("Ana")
        roost.slack.faults.slow = 1.0
        await roost.run(ana, "join")
        await roost.slack.wait_for(
            lambda: any(v["user"] == ana.id for v in roost.slack.views.values()), 10
        )
        opened = [c for c in roost.slack.calls if c.method == "views.open"]
        assert [c.error for c in opened] == [None]
        roost.slack.faults.slow = 0.0


async def test_arguments_slack_reads_from_a_form_are_taken_from_a_form(
    slack: SlackEmulator,
) -> None:
    ana = next(iter(slack.users))
    headers = {"Authorization": "Bearer xoxb-roost-test"}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{slack.url}/api/users.info", data={"user": ana}, headers=headers
        ) as r:
            assert (await r.json())["user"]["id"] == ana
        async with http.post(
            f"{slack.url}/api/users.info", json={"user": ana}, headers=headers
        ) as r:
            assert (await r.json())["error"] == "user_not_found"
    assert slack.calls[-1].ignored == ("user",)  # Slack never saw the JSON body


async def test_the_emulator_only_emits_events_the_spec_describes(slack: SlackEmulator) -> None:
    with pytest.raises(AssertionError, match="undocumented event type"):
        await slack.deliver("events_api", slack.envelope({"type": "made_up_event"}))
    import jsonschema

    broken = slack.envelope({"type": "team_join"})
    del broken["event_id"]
    with pytest.raises(jsonschema.ValidationError):
        await slack.deliver("events_api", broken)


def test_the_renderer_keeps_every_block_kit_limit() -> None:
    """The largest message and form the core can make are ones Slack accepts."""
    from bot.adapters.slack import render
    from bot.messages import ActionButton, FieldKind, Form, FormField, LinkButton, MessageField
    from tests.emulators.slack.spec import check_blocks, check_view

    body = ("A & B <c> [link](https://example.com/x) " * 4000).strip()  # 160k characters
    message = Message(
        title="T" * 300,
        body=body,
        fields=tuple(MessageField(f"n{i}" * 600, "v" * 3000) for i in range(30)),
        buttons=(
            *(ActionButton("B" * 100, "act", "v" * 3000) for _ in range(30)),
            LinkButton("open", "https://example.com/" + "x" * 4000),
        ),
    )
    made = check_blocks(render.blocks(message))
    assert len(made) == 50 and made[-1]["type"] == "actions"
    assert any(b["text"]["text"].endswith("…") for b in made if "text" in b)
    assert "cut to fit 50 blocks" in render.describe(message)
    for block in made:
        if block["type"] == "section" and "text" in block:  # no link or escape cut in two
            text = block["text"]["text"]
            assert text.count("<") == text.count(">") and not text.rstrip("…").endswith("&amp")
    check_view(render.home_view(message))
    form = Form(
        id="f" * 300,
        title="A title longer than a modal's",
        intro="x" * 7000,
        fields=(
            FormField(
                "body", "Body " * 500, FieldKind.LONG_TEXT, max_length=6000, default="y" * 5000
            ),
            FormField("pick", "Pick", FieldKind.CHOICE, tuple(f"{i}" * 10 for i in range(150))),
        ),
    )
    view = check_view(render.modal(form, "m" * 4000))
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert [inputs["body"]["max_length"], inputs["body~2"]["max_length"]] == [3000, 2998]
    assert inputs["body"]["initial_value"] + inputs["body~2"]["initial_value"] == "y" * 5000
