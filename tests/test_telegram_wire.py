"""Telegram on the wire: webhook security, flood limits, timeouts and the emulator's honesty."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from sqlmodel import select

from bot.adapter import DeliveryError
from bot.clock import ManualClock
from bot.context import Context
from bot.events import PollAnswered
from bot.messages import ChannelTarget, DirectTarget, Image, Message, PollSpec
from bot.router import On, Router
from storage.db import Database
from storage.models import Member
from tests.emulators.telegram import COMMUNITY_ID, TelegramEmulator, add_user, wait_for
from tests.emulators.telegram.spec import build
from tests.roost_on_telegram import SECRET, TelegramRoost, roost_on_telegram


@pytest.fixture
async def hooked(db: Database, clock: ManualClock) -> AsyncIterator[TelegramRoost]:
    async with roost_on_telegram(db, clock, mode="webhook") as running:
        yield running


def update(user_id: int, text: str, update_id: int) -> dict[str, object]:
    user = build("User", id=user_id, is_bot=False, first_name="Mallory")
    chat = build("Chat", id=user_id, type="private", first_name="Mallory")
    entities = [build("MessageEntity", type="bot_command", offset=0, length=len(text.split()[0]))]
    message = build(
        "Message", message_id=update_id, date=0, chat=chat, from_=user, text=text, entities=entities
    )
    return build("Update", update_id=update_id, message=message)


async def test_webhook_mode_serves_members(hooked: TelegramRoost) -> None:
    assert hooked.tg.webhook is not None
    assert hooked.tg.webhook["url"].endswith("/telegram/webhook")
    assert hooked.tg.webhook["secret"] == SECRET
    ana = hooked.user("Ana")
    seen = await hooked.say(ana, "/join")
    assert "how we treat your data" in seen and "Join the community (1/6)" in seen
    assert not any(r.method == "getUpdates" for r in hooked.tg.requests)


@pytest.mark.parametrize("secret", ["wrong-secret", None])
async def test_a_bad_or_missing_secret_token_is_refused_and_nothing_processed(
    hooked: TelegramRoost, db: Database, secret: str | None
) -> None:
    url = hooked.public_webhook()
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    body = update(666, "/start", 9001)
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as answer,
    ):
        assert answer.status == 401
    assert hooked.app.handled == 0
    async with db.session() as session:
        assert list(await session.exec(select(Member))) == []


@pytest.mark.parametrize("body", [b"null", b"[]", b'"x"', b"42", b'{"no": "update"}', b"\xff\xfe{"])
async def test_a_webhook_body_that_is_not_an_update_gets_400(
    hooked: TelegramRoost, body: bytes
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        async with http.post(hooked.public_webhook(), data=body, headers=headers) as answer:
            assert answer.status == 400
        ana = hooked.user("Ana")  # and Roost goes on serving
        assert "Join the community (1/6)" in await hooked.say(ana, "/join")


async def test_stopping_while_polling_logs_no_error_and_a_restart_fetches_nothing_again(
    sqlite_db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    tg = TelegramEmulator()
    await tg.start()
    try:
        async with roost_on_telegram(sqlite_db, clock, emulator=tg) as roost:
            ana = roost.user("Ana")
            await roost.say(ana, "/join")
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        async with roost_on_telegram(sqlite_db, clock, emulator=tg) as again:
            await wait_for(tg, lambda: tg.requests[-1].method == "getUpdates")
            await again.say(ana, "/help")
            assert again.app.handled == 1  # /help only: /join was not fetched again
        assert sum("Join the community (1/6)" in (m.get("text") or "") for m in ana.messages()) == 1
    finally:
        await tg.stop()


async def test_a_redelivered_update_is_handled_once(hooked: TelegramRoost) -> None:
    ana = hooked.user("Ana")
    ana.account.started = True
    url = hooked.public_webhook()
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        for body in (
            update(ana.id, "/consent", 7001),
            update(ana.id, "/consent", 7001),
            update(ana.id, "/help", 7002),
        ):
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 200
    async with asyncio.timeout(10):
        await hooked.app.wait_handled(3)  # the second 7001 is refused by its update id
    texts = [m["text"] for m in ana.messages()]
    assert sum("Your message choices" in t for t in texts) == 1
    assert any("/profile" in t for t in texts)


@pytest.mark.paced
async def test_a_flood_loses_nothing_and_waits_out_every_retry_after(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        users = [add_user(roost.tg, f"User{i}") for i in range(90)]
        for user in users:
            user.account.started = True
        roost.tg.faults.storm = 3  # a 429 storm hits the first sends
        roost.tg.faults.storm_retry_after = 2
        await asyncio.gather(
            *(
                roost.adapter.send(
                    DirectTarget("telegram", str(u.id)), Message(f"News for {u.account.first_name}")
                )
                for u in users
            )
        )
        delivered = [len(u.messages()) for u in users]
        assert delivered == [1] * 90  # nothing lost, nothing twice
        assert [w.why for w in roost.tg.windows] == ["storm"] * 3  # no limit broken after it
        # (a send already on its way when a 429 came is refused too, as Telegram would)
        # every send waited out each retry_after (PTB's own limiter sends 90 of 90 inside them)
        assert roost.tg.sends_inside_windows() == []


async def test_a_send_that_times_out_after_delivering_is_not_resent(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        ana = add_user(roost.tg, "Ana")
        ana.account.started = True
        roost.tg.faults.deliver_then_stall = 1
        with pytest.raises(DeliveryError, match="may have been delivered"):
            await roost.adapter.send(DirectTarget("telegram", str(ana.id)), Message("Hello"))
        assert len(ana.messages()) == 1
        assert sum(r.method == "sendMessage" for r in roost.tg.requests) == 1


async def test_server_errors_are_survived(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        ana = roost.user("Ana")
        roost.tg.faults.errors = 2  # the greeting and the answer are lost to 500s
        await roost.act(ana.send("/help"))
        assert await roost.say(ana, "/consent") != ""  # Roost is still there


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    tg = TelegramEmulator()
    await tg.start()
    add_user(tg, "Ana").account.started = True
    yield tg
    await tg.stop()


@pytest.mark.parametrize(
    ("method", "data", "status", "description"),
    [
        ("sendMessagee", {"chat_id": "5001", "text": "x"}, 404, "Not Found"),
        ("sendMessage", {"text": "hello"}, 400, "Bad Request: chat_id is empty"),
        (
            "sendMessage",
            {"chat_id": "5001", "text": "x", "colour": "red"},
            400,
            'Bad Request: unknown parameter "colour"',
        ),
        (
            "deleteMessage",
            {"chat_id": "5001", "message_id": "first"},
            400,
            "Bad Request: message_id: expected Integer",
        ),
        (
            "sendMessage",
            {"chat_id": "5001", "text": "x", "reply_markup": '{"inline_keyboard": [[{}]]}'},
            400,
            "InlineKeyboardButton.text is required",
        ),
        (
            "sendMessage",
            {"chat_id": "5001", "text": "<b>bold", "parse_mode": "HTML"},
            400,
            "Bad Request: can't parse entities",
        ),
        (
            "sendMessage",
            {"chat_id": "5001", "text": "<blink>x</blink>", "parse_mode": "HTML"},
            400,
            'unsupported start tag "blink"',
        ),
        (
            "sendMessage",
            {"chat_id": "5001", "text": "   "},
            400,
            "Bad Request: message text is empty",
        ),
        (
            "createChatInviteLink",
            {"chat_id": str(COMMUNITY_ID), "name": "x" * 33},
            400,
            "invite link name is too long",
        ),
        ("sendMessage", {"chat_id": "5001", "text": "x" * 4097}, 400, "message is too long"),
        (
            "sendPhoto",
            {"chat_id": "5001", "photo": "https://example.com/a.jpg", "caption": "x" * 1025},
            400,
            "message caption is too long",
        ),
        *(
            ("sendMessage", {"chat_id": "5001", "text": text, "parse_mode": "HTML"}, 400, error)
            for text, error in (
                ("1 < 2", "can't parse entities: unexpected '<'"),
                ("Tom & Jerry", "can't parse entities: unexpected '&'"),
                ("&nbsp;", "can't parse entities: unexpected '&'"),
                ('<b class="x">y</b>', 'unsupported attribute "class" of "b"'),
                ('<a href="javascript:alert(1)">y</a>', "needs an http(s) or tg href"),
                ("<pre><b>x</b></pre>", "b can't be inside pre or code"),
            )
        ),
        *(
            (
                "sendMessage",
                {
                    "chat_id": "5001",
                    "text": "x",
                    "reply_markup": json.dumps({"inline_keyboard": [[{"text": "Go", **button}]]}),
                },
                400,
                error,
            )
            for button, error in (
                ({"url": "javascript:alert(1)"}, "BUTTON_URL_INVALID"),
                ({"url": "http://localhost:8080/a/x"}, "BUTTON_URL_INVALID"),
                ({"url": "https://intranet/jobs"}, "BUTTON_URL_INVALID"),
                ({"callback_data": "x", "url": "https://example.com"}, "BUTTON_TYPE_INVALID"),
                ({"callback_data": "x" * 65}, "BUTTON_DATA_INVALID"),
                ({"callback_data": ""}, "BUTTON_DATA_INVALID"),
            )
        ),
        *(
            ("setMyCommands", {"commands": json.dumps(commands)}, 400, error)
            for commands, error in (
                ([{"command": "my-cmd", "description": "x"}], "BOT_COMMAND_INVALID"),
                ([{"command": "café", "description": "x"}], "BOT_COMMAND_INVALID"),
                ([{"command": "Join", "description": "x"}], "BOT_COMMAND_INVALID"),
                ([{"command": "x" * 33, "description": "x"}], "BOT_COMMAND_INVALID"),
                (
                    [{"command": f"c{i}", "description": "x"} for i in range(101)],
                    "BOT_COMMANDS_TOO_MUCH",
                ),
            )
        ),
        (
            "answerCallbackQuery",
            {"callback_query_id": "never-issued"},
            400,
            "query ID is invalid",
        ),
        (
            "sendPoll",
            {
                "chat_id": "5001",
                "question": "q" * 301,
                "options": json.dumps([{"text": "a"}, {"text": "b"}]),
            },
            400,
            "POLL_QUESTION_INVALID",
        ),
        *(
            ("setWebhook", {"url": url, **secret}, 400, error)
            for url, secret, error in (
                ("http://roost.example/hook", {}, "An HTTPS URL must be provided"),
                ("https://roost.example:8080/hook", {}, "only on ports 80, 88, 443 or 8443"),
                ("https://roost.example/hook", {"secret_token": "not secret!"}, "unallowed"),
                ("https://roost.example/hook", {"secret_token": "x" * 257}, "unallowed"),
            )
        ),
    ],
)
async def test_the_emulator_rejects_requests_that_break_the_spec(
    emulator: TelegramEmulator, method: str, data: dict[str, str], status: int, description: str
) -> None:
    url = f"{emulator.url}/bot{emulator.token}/{method}"
    async with aiohttp.ClientSession() as http, http.post(url, data=data) as response:
        body = json.loads(await response.text())
    assert response.status == status and body["ok"] is False and body["error_code"] == status
    assert description in body["description"]


async def test_the_emulator_counts_length_after_entities_and_takes_what_telegram_takes(
    emulator: TelegramEmulator,
) -> None:
    url = f"{emulator.url}/bot{emulator.token}/sendMessage"
    texts = (
        "<b>" + "x" * 4096 + "</b>",  # 4103 characters sent, 4096 after parsing
        '1 &lt; 2 &amp; <a href="https://example.com">3</a> &#38; '
        '<span class="tg-spoiler">s</span>',
        '<pre><code class="language-python">print(1)</code></pre>',
    )
    async with aiohttp.ClientSession() as http:
        for text in texts:
            data = {"chat_id": "5001", "text": text, "parse_mode": "HTML"}
            async with http.post(url, data=data) as response:
                assert response.status == 200, await response.text()
        setting = {"url": "https://roost.example:8443/hook", "secret_token": "A-z_09" * 40}
        async with http.post(f"{emulator.url}/bot{emulator.token}/setWebhook", data=setting) as r:
            assert r.status == 200


async def test_the_emulator_refuses_a_wrong_token(emulator: TelegramEmulator) -> None:
    url = f"{emulator.url}/bot1:WRONG/getMe"
    async with aiohttp.ClientSession() as http, http.post(url) as response:
        assert response.status == 401
        assert (await response.json())["description"] == "Unauthorized"


async def test_native_polls_and_quizzes_come_back_as_answers(
    sqlite_db: Database, clock: ManualClock
) -> None:
    answers: list[PollAnswered] = []

    async def record(ctx: Context[PollAnswered]) -> None:
        answers.append(ctx.event)

    observer = Router("observer", events=(On(PollAnswered, record),))
    async with roost_on_telegram(sqlite_db, clock, also=observer) as roost:
        group = ChannelTarget("telegram", str(COMMUNITY_ID))
        poll = await roost.adapter.send_poll(group, PollSpec("Tabs or spaces?", ("Tabs", "Spaces")))
        quiz = await roost.adapter.send_poll(
            group, PollSpec("2 + 2?", ("3", "4", "5"), correct=1, explanation="Arithmetic.")
        )
        native = roost.tg.polls[quiz.native_id or ""]["poll"]
        assert (native["type"], native["correct_option_ids"]) == ("quiz", [1])
        assert roost.tg.polls[poll.native_id or ""]["poll"]["type"] == "regular"
        ana = roost.user("Ana")
        await roost.act(ana.answer_poll(poll.native_id or "", [1]))
        await roost.act(ana.answer_poll(quiz.native_id or "", [1]))
    assert [(a.poll, a.options, a.origin.user.id) for a in answers] == [
        (poll.native_id, (1,), str(ana.id)),
        (quiz.native_id, (1,), str(ana.id)),
    ]


async def test_images_go_out_as_photos_with_an_html_caption(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        ana = add_user(roost.tg, "Ana")
        ana.account.started = True
        message = Message("Our **new** office", title="Open day", image=Image(data=b"\x89PNG..."))
        await roost.adapter.send(DirectTarget("telegram", str(ana.id)), message)
        request = next(r for r in roost.tg.requests if r.method == "sendPhoto")
        assert request.params["caption"] == "<b>Open day</b>\n\nOur <b>new</b> office"
        assert ana.last()["caption"] == "Open day\n\nOur new office"
        assert [e["type"] for e in ana.last()["caption_entities"]] == ["bold", "bold"]


async def test_the_emulator_takes_documents_up_to_fifty_megabytes(
    emulator: TelegramEmulator,
) -> None:
    url = f"{emulator.url}/bot{emulator.token}/sendDocument"
    statuses = []
    async with aiohttp.ClientSession() as http:
        for size in (2 * 2**20, 50 * 2**20 + 1):
            form = aiohttp.FormData()
            form.add_field("chat_id", "5001")
            form.add_field("document", io.BytesIO(b"x" * size), filename="members.csv")
            async with http.post(url, data=form) as response:
                statuses.append(response.status)
    assert statuses == [200, 413]  # a 2 MB file is taken, as Telegram takes it


async def test_a_webhook_telegram_refuses_stops_roost_with_one_line(
    sqlite_db: Database, clock: ManualClock, emulator: TelegramEmulator
) -> None:
    """What the settings cannot know (here, an address no one outside resolves) is Telegram's
    to refuse at start: Roost says so in one sentence instead of a traceback."""
    from bot.adapter import StartupError
    from bot.adapters.telegram import TelegramAdapter
    from bot.app import build_app
    from tests.roost_on_telegram import telegram_settings

    settings = telegram_settings(emulator, "webhook", None)
    adapter = TelegramAdapter(settings.telegram, lambda: "https://intranet")
    app = build_app(settings, [adapter], sqlite_db, clock)
    with pytest.raises(ExceptionGroup) as caught:
        await asyncio.wait_for(app.run(), 10)
    refused, rest = caught.value.split(StartupError)
    assert rest is None and refused is not None
    assert "Telegram refused the webhook https://intranet" in str(refused.exceptions[0])


def test_a_hint_shows_its_markdown_and_a_bare_host_goes_in_the_text() -> None:
    from bot.adapters.telegram import render
    from bot.forms import question
    from bot.handlers.content import COMPOSE
    from bot.messages import LinkButton

    hint = render.to_html(question(COMPOSE, 4).body)
    assert hint.startswith("<b>Text (Markdown: <code>**bold**</code>, <code>_italic_</code>")
    assert hint.endswith("</code>)</b>")
    message = Message(
        "An invitation",
        buttons=(
            LinkButton("Apply", "http://localhost:8080/r/abc"),
            LinkButton("Read", "https://roost.example/a/abc"),
        ),
    )
    markup = render.keyboard(message.buttons)
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["Read"]]
    assert "Apply: http://localhost:8080/r/abc" in render.message_html(message)
