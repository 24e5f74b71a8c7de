"""Several Roost processes on one PostgreSQL database, as real processes against the
emulators: every process delivers (a `roost worker` only delivers); one at a time holds each
singleton duty (the scheduler, Telegram polling, the Discord gateway); kill -9 the holder,
again and again, and another takes the duty over within the lease, no event is handled twice
and no row sent twice."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections import Counter
from functools import partial
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import col, select

from bot.clock import ManualClock, SystemClock
from storage.db import Database
from storage.leases import holders
from storage.models import Delivery, FormProgress, Identity, Member
from tests.emulators.discord import DiscordEmulator
from tests.emulators.slack import SlackEmulator, SlackUser
from tests.emulators.slack.driver import add_user as add_slack_user
from tests.emulators.telegram import TelegramEmulator, TelegramUser, add_user, wait_for
from tests.emulators.telegram.spec import build
from tests.processes import Processes, all_sent, settings_file, until
from tests.roost_on_telegram import SECRET, TelegramRoost, roost_on_telegram
from tests.seed import telegram_campaign

MEMBERS = 240
LEASE = 2.0  # seconds
IN_FLIGHT = 4
DUTIES = ("scheduler", "listen:telegram", "listen:discord", "listen:slack")


async def held(db: Database) -> dict[str, int]:
    """Each lease held now, by the pid of its holder (`host:pid:random`)."""
    async with db.session() as session:
        leases = await holders(session, SystemClock().now())
    return {name: int(holder.split(":")[-2]) for name, holder in leases.items()}


@pytest.mark.slow
async def test_three_processes_share_the_work_and_take_over_from_a_killed_holder(
    tmp_path: Path, postgres_db: Database
) -> None:
    db = postgres_db
    tg, discord, slack = TelegramEmulator(), DiscordEmulator(), SlackEmulator()
    await tg.start()
    await discord.start()
    await slack.start()
    members = await telegram_campaign(db, tg, MEMBERS, SystemClock().now())
    roost = Processes(
        settings_file(
            tmp_path,
            tg,
            discord,
            slack,
            outbox={"batch": 10, "concurrency": IN_FLIGHT},
            processes={"lease_seconds": LEASE},
        ),
        {
            "ROOST_DATABASE_URL": db.url.render_as_string(hide_password=False),
            "ROOST_TELEGRAM_TOKEN": tg.token,
            "ROOST_DISCORD_TOKEN": discord.token,
            "ROOST_SLACK_BOT_TOKEN": slack.bot_token,
            "ROOST_SLACK_APP_TOKEN": slack.app_token,
        },
    )

    async def all_held() -> bool:
        now = await held(db)
        return all(now.get(duty) in roost.running for duty in DUTIES)

    async def answered(user: TelegramUser) -> None:
        await wait_for(tg, lambda: bool(helped(user)), seconds=4 * LEASE + 10)

    probes: list[TelegramUser] = []
    askers: list[SlackUser] = []
    try:
        for _ in range(3):
            await roost.start()
        deliverer = await roost.start("worker")  # only delivers: it never holds a duty
        await until(all_held, tg._changed, seconds=30)
        for kill in range(3):
            holder = (await held(db))["listen:telegram"]
            before = add_user(tg, f"Before{kill}")
            probes.append(before)
            await before.send("/help")
            await answered(before)  # handled by the holder, before it dies
            await roost.kill(holder)
            after = add_user(tg, f"After{kill}")
            probes.append(after)
            await after.send("/help")  # waits in Telegram until another process polls
            await roost.start()  # a replacement, so three keep running
            await until(all_held, tg._changed, seconds=4 * LEASE + 10)
            now = await held(db)
            assert now["listen:telegram"] != holder
            assert deliverer not in {now[duty] for duty in DUTIES}
            await answered(after)
            asker = add_slack_user(slack, f"Asker{kill}")  # Slack, through the new socket
            await slack.wait_for(lambda: slack.socket_connected, seconds=4 * LEASE + 10)
            assert await asker.command("help") == 200
            await slack.wait_for(partial(slack_helped, asker), seconds=10)
            askers.append(asker)
        await until(lambda: all_sent(db), tg._changed, seconds=60)
        assert discord.connected
    finally:
        with contextlib.suppress(Exception):
            await roost.stop_all()
        await tg.stop()
        await discord.stop()
        await slack.stop()

    # One holder at a time: Telegram never had two long polls, Discord never two gateways,
    # Slack never two sockets.
    assert tg.conflicts == 0 and discord.peak_gateways == 1 and slack.peak_sockets == 1
    # No duty was lost for longer than the lease (and the third of it between renewals), with
    # room for a loaded machine: the long polls never paused for long.
    polls = [r.at for r in tg.requests if r.method == "getUpdates"]
    assert max(b - a for a, b in itertools.pairwise(polls)) < 4 * LEASE
    # Every event handled exactly once, whichever process received it.
    assert [len(helped(user)) for user in probes] == [1] * len(probes)
    assert [slack_helps(asker) for asker in askers] == [1] * len(askers)

    async with db.session() as session:
        rows = list(await session.exec(select(Delivery)))
        member_of = {i.platform_user_id: i.member_id for i in await session.exec(select(Identity))}
    got = Counter(str(m["chat"]["id"]) for (chat, _), m in tg.messages.items() if chat > 0)
    sent = {member_of[str(u.id)] for u in members if got[str(u.id)]}
    uncertain = {r.member_id for r in rows if r.state == "unknown"}
    assert all(got[str(u.id)] <= 1 for u in members)  # no row delivered twice
    assert {member_of[str(u.id)] for u in members} - sent <= uncertain  # none lost
    assert len(uncertain) <= 3 * IN_FLIGHT
    # Every process delivered: rows were sent by more than one worker.
    workers = {r.claimed_by for r in rows if r.state == "sent"}
    assert len(workers) >= 2
    assert any(f":{deliverer}:" in (worker or "") for worker in workers)
    said = roost.said()
    assert "Traceback" not in said
    # Every row left uncertain was counted in the log. The log may count more: on a loaded
    # machine a worker slow to renew its presence is taken for gone, and the outcome it then
    # records (sent) is the truth that replaces `unknown`.
    assert sum(int(n) for n in re.findall(r"(\d+) uncertain", said)) >= len(uncertain)


def slack_helps(user: SlackUser) -> int:
    """The help answers this Slack user got (a message shows its text and its blocks)."""
    return sum("/roost profile" in str(message) for message in user.messages())


def slack_helped(user: SlackUser) -> bool:
    return slack_helps(user) > 0


def helped(user: TelegramUser) -> list[str]:
    """The help answers this user got."""
    return [m.get("text", "") for m in user.messages() if "/profile" in m.get("text", "")]


def text_update(user: TelegramUser, text: str, update_id: int) -> dict[str, object]:
    """A private message as Telegram sends it to a webhook (a command has its entity)."""
    sender = build("User", id=user.id, is_bot=False, first_name=user.account.first_name)
    chat = build("Chat", id=user.id, type="private", first_name=user.account.first_name)
    entities = (
        [build("MessageEntity", type="bot_command", offset=0, length=len(text.split()[0]))]
        if text.startswith("/")
        else None
    )
    message = build(
        "Message", message_id=update_id, date=0, chat=chat, from_=sender, text=text,
        entities=entities,
    )  # fmt: skip
    return build("Update", update_id=update_id, message=message)


async def test_behind_one_webhook_two_processes_carry_a_form_and_handle_a_retry_once(
    db: Database, clock: ManualClock
) -> None:
    """Telegram calls the webhook behind a load balancer: each update may reach either of two
    processes. Onboarding answered across both completes, and an update Telegram sends again
    (to the other process) is handled once."""
    tg = TelegramEmulator()
    await tg.start()
    try:
        async with (
            roost_on_telegram(db, clock, "webhook", emulator=tg) as first,
            roost_on_telegram(db, clock, "webhook", emulator=tg) as second,
        ):
            ana = add_user(tg, "Ana")
            ana.account.started = True
            answers = ["/join", "engineering", "3", "Berlin", "-", "yes", "no"]
            hooks = [first, second]
            async with aiohttp.ClientSession() as http:

                async def post(roost: TelegramRoost, body: dict[str, object]) -> None:
                    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                    own = f"http://127.0.0.1:{roost.app.web.port}/telegram/webhook"  # no proxy
                    async with http.post(own, json=body, headers=headers) as r:
                        assert r.status == 200

                for n, answer in enumerate(answers):
                    body = text_update(ana, answer, 8000 + n)
                    here, there = hooks[n % 2], hooks[(n + 1) % 2]
                    await here.act(post(here, body))
                    if n == 2:  # Telegram retries one, and the retry reaches the other process
                        await there.act(post(there, body))
        texts = [m.get("text", "") for m in ana.messages()]
    finally:
        await tg.stop()
    assert sum("Join the community (3/6)" in t for t in texts) == 1  # the retry said nothing
    assert any("Welcome aboard!" in t and "Location: Berlin" in t for t in texts)
    async with db.session() as session:
        member = (
            await session.exec(select(Member).where(col(Member.onboarded_at).is_not(None)))
        ).one()
        left = list(await session.exec(select(FormProgress)))
    assert (member.function, member.seniority, member.location) == ("engineering", "mid", "Berlin")
    assert left == []  # the finished form is not kept
