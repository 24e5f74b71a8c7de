"""Fan-out of one campaign on each platform, through Roost (outbox, worker, the adapter's
pacing) against the emulator enforcing that platform's real limits, beside a naive loop with
the library's defaults; and, with limits off, Roost's cost per delivery beside the bare
library's, on SQLite and PostgreSQL, in the same run.

The sustained rate is measured at the emulator, first accepted send to last, against the limit
that binds a DM campaign there: Telegram's 30 messages a second; Discord's 50 requests a second
(a first DM costs two: open the channel, post); Slack's 50 `conversations.open` a minute.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import discord
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bench.util import postgres, sqlite
from bot.adapters.telegram.adapter import request_over_aiohttp
from bot.clock import ManualClock
from storage.db import Database
from tests.emulators.discord import DiscordEmulator
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack.driver import add_user as add_slack_user
from tests.emulators.telegram import Limits, TelegramEmulator, add_user, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.seed import campaign_to

SIZES = {
    "telegram": int(os.environ.get("ROOST_BENCH_TELEGRAM", "900")),
    "discord": int(os.environ.get("ROOST_BENCH_DISCORD", "600")),
    "slack": int(os.environ.get("ROOST_BENCH_SLACK", "60")),  # a minute and more at 50 a minute
}


@dataclass(frozen=True)
class Run:
    """What the emulator saw: accepted sends (method, arrival), refusals, and deliveries."""

    seconds: float
    sends: list[float]  # arrival times of accepted message sends
    limited: list[float]  # arrival times of the calls the limit counts
    refused: int  # 429s
    delivered: Counter[str]  # messages per recipient
    first: dict[str, Any]  # the first message as sent, for the bare loop to send alike

    def rate(self, times: list[float]) -> float:
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


async def _deliver(app: Any, db: Database, platform: str, users: list[str]) -> float:
    await campaign_to(db, platform, users, datetime.now(UTC))
    started = time.perf_counter()
    app.worker.wake()
    return started


async def on_telegram(db: Database, count: int, *, limits: bool = True) -> Run:
    clock = ManualClock(datetime.now(UTC))
    limit = Limits(enabled=limits)
    async with roost_on_telegram(db, clock, limits=limit, pace=limits) as roost:
        tg = roost.tg
        users = [add_user(tg, f"Member{i}") for i in range(count)]
        for user in users:
            user.account.started = True
        started = await _deliver(roost.app, db, "telegram", [str(u.id) for u in users])
        messages = tg.messages  # only DMs here; counted cheaply on every request
        await wait_for(tg, lambda: len(messages) >= count, seconds=count)
        seconds = time.perf_counter() - started
        sends = [r.at for r in tg.requests if r.method == "sendMessage" and r.status == 200]
        first = next(r.params for r in tg.requests if r.method == "sendMessage")
        return Run(
            seconds,
            sends,
            sends,
            sum(r.status == 429 for r in tg.requests),
            Counter(str(chat) for chat, _ in tg.messages),
            {k: first[k] for k in ("text", "parse_mode", "reply_markup") if k in first},
        )


async def on_discord(db: Database, count: int) -> Run:
    clock = ManualClock(datetime.now(UTC))
    async with roost_on_discord(db, clock) as roost:
        emulator = roost.discord
        members = [add_member(emulator, f"Member{i}") for i in range(count)]
        started = await _deliver(roost.app, db, "discord", [m.id for m in members])
        dms = [f"9{m.id}" for m in members]
        await emulator.wait_for(lambda: all(emulator.messages.get(dm) for dm in dms), seconds=count)
        seconds = time.perf_counter() - started
        calls = emulator.requests
        sends = [r.at for r in calls if r.operation == "create_message" and r.status == 200]
        every = [r.at for r in calls if r.status == 200 and sends[0] <= r.at <= sends[-1]]
        return Run(
            seconds,
            sends,
            every,  # the global limit counts every request
            sum(r.status == 429 for r in calls),
            Counter({dm: len(emulator.messages.get(dm, [])) for dm in dms}),
            {},
        )


async def on_slack(db: Database, count: int) -> Run:
    clock = ManualClock(datetime.now(UTC))
    async with roost_on_slack(db, clock) as roost:
        emulator = roost.slack
        users = [add_slack_user(emulator, f"M{i}") for i in range(count)]
        started = await _deliver(roost.app, db, "slack", [u.id for u in users])
        dms = {f"D{u.id}" for u in users}

        def posted() -> Counter[str]:
            return Counter(m["channel"] for m in emulator.messages if m["channel"] in dms)

        await emulator.wait_for(lambda: len(posted()) >= count, seconds=count * 3)
        seconds = time.perf_counter() - started
        ok = [c for c in emulator.calls if c.status == 200]
        return Run(
            seconds,
            [c.at for c in ok if c.method == "chat.postMessage"],
            [c.at for c in ok if c.method == "conversations.open"],
            sum(c.status == 429 for c in emulator.calls),
            posted(),
            {},
        )


# -- naive loops: the library's defaults, no pacing of our own --------------------------------


async def naive_telegram(
    count: int, message: dict[str, Any], *, limits: bool = True, aiohttp: bool = False
) -> Naive:
    tg = TelegramEmulator(limits=Limits(enabled=limits))
    await tg.start()
    users = [add_user(tg, f"Member{i}") for i in range(count)]
    for user in users:
        user.account.started = True
    request = (
        request_over_aiohttp(5, 5, connections=8)
        if aiohttp
        else HTTPXRequest(connection_pool_size=8)
    )
    bot = Bot(tg.token, base_url=f"{tg.url}/bot", request=request)
    markup = message.get("reply_markup")
    buttons = InlineKeyboardMarkup.de_json(json.loads(markup), bot) if markup else None
    sent = lost = 0
    async with bot:
        started = time.perf_counter()
        for user in users:
            try:
                await bot.send_message(
                    user.id,
                    message["text"],
                    parse_mode=message.get("parse_mode"),
                    reply_markup=buttons,
                )
                sent += 1
            except RetryAfter:
                lost += 1
        seconds = time.perf_counter() - started
    await tg.stop()
    return Naive(seconds, sent, lost)


async def naive_discord(count: int) -> Naive:
    """discord.py's own way: fetch the user, `user.send` (which opens the DM); discord.py
    waits out 429s itself, so nothing is lost, only time."""
    emulator = DiscordEmulator()
    await emulator.start()
    members = [add_member(emulator, f"Member{i}") for i in range(count)]
    discord.http.Route.BASE = f"{emulator.url}/api/v10"
    client = discord.Client(intents=discord.Intents.none())
    await client.login(emulator.token)
    started = time.perf_counter()
    for member in members:
        user = await client.fetch_user(int(member.id))
        await user.send("News")
    seconds = time.perf_counter() - started
    await client.close()
    await emulator.stop()
    return Naive(seconds, count, 0, sum(r.status == 429 for r in emulator.requests))


async def naive_slack(count: int) -> Naive:
    emulator = SlackEmulator()
    await emulator.start()
    users = [add_slack_user(emulator, f"M{i}") for i in range(count)]
    client = AsyncWebClient(token=emulator.bot_token, base_url=f"{emulator.url}/api/")
    sent = lost = 0
    started = time.perf_counter()
    for user in users:
        try:
            opened = await client.conversations_open(users=user.id)
            await client.chat_postMessage(channel=opened["channel"]["id"], text="News")
            sent += 1
        except SlackApiError:
            lost += 1
    seconds = time.perf_counter() - started
    await emulator.stop()
    return Naive(seconds, sent, lost)


@dataclass(frozen=True)
class Naive:
    seconds: float
    sent: int
    lost: int
    refused: int = 0


def _line(
    name: str, run: Run, count: int, limit: float, unit: str, times: list[float], shown: str = ""
) -> str:
    rate = run.rate(times)
    lost = count - len(run.delivered)
    duplicates = sum(n - 1 for n in run.delivered.values() if n > 1)
    return (
        f"{name:<9} {rate:7.2f} {unit} = {rate / limit:4.0%} of {shown or f'{limit:g}'}   "
        f"429s {run.refused}   lost {lost}   duplicates {duplicates}   ({len(run.sends)} sent)"
    )


async def main() -> None:
    print("Fan-out of one campaign, the emulators enforcing each platform's limits")
    n = SIZES["telegram"]
    async with sqlite() as db:
        run = await on_telegram(db, n)
    print(_line("Telegram", run, n, 30, "msg/s", run.sends))
    naive = await naive_telegram(n, run.first)
    print(f"  naive PTB loop: {naive.sent / naive.seconds:6.1f} msg/s, lost {naive.lost} of {n}")

    n = SIZES["discord"]
    async with sqlite() as db:
        run = await on_discord(db, n)
    print(_line("Discord", run, n, 50, "req/s", run.limited))
    print(f"  ({run.rate(run.sends):.1f} DMs/s: each first DM is two requests)")
    naive = await naive_discord(n)
    print(
        f"  naive discord.py loop (fetch_user, send): {naive.sent / naive.seconds:6.1f} DMs/s, "
        f"429s {naive.refused}, lost {naive.lost}"
    )

    n = SIZES["slack"]
    async with sqlite() as db:
        run = await on_slack(db, n)
    print(_line("Slack", run, n, 50 / 60, "opens/s", run.limited, "50 a minute"))
    naive_run = await naive_slack(n)
    print(
        f"  naive slack-sdk loop: {naive_run.sent} sent in {naive_run.seconds:.1f} s, "
        f"lost {naive_run.lost} of {n} (slack-sdk retries no 429 by default)"
    )
    await overhead()


async def overhead() -> None:
    """Limits off: Roost's cost per delivery against the bare library's, best of three
    alternating rounds (this machine's speed drifts; alternating shows both the same). The bare
    loop runs twice: PTB as it comes (httpx's pool), and over aiohttp as Roost runs it, so the
    second ratio is Roost's own work alone."""
    count, rounds = SIZES["telegram"], 3
    print(f"\nLimits off, Telegram, {count} deliveries, best of {rounds} alternating rounds")
    stores: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite), ("PostgreSQL", postgres)]
    for label, store in stores:
        roost = bare = same = float("inf")
        for _ in range(rounds):
            async with store() as db:
                if db is None:
                    break
                run = await on_telegram(db, count, limits=False)
                roost = min(roost, run.seconds)
            bare = min(bare, (await naive_telegram(count, run.first, limits=False)).seconds)
            over = await naive_telegram(count, run.first, limits=False, aiohttp=True)
            same = min(same, over.seconds)
        if roost == float("inf"):
            print(f"{label:<11} skipped: not reachable")
            continue
        print(
            f"{label:<11} Roost {count / roost:4.0f} deliveries/s   bare PTB loop "
            f"{count / bare:4.0f} sends/s: Roost's cost per delivery {roost / bare:4.2f}x "
            f"the bare library's\n{'':<37}bare PTB loop over aiohttp {count / same:4.0f} "
            f"sends/s: {roost / same:4.2f}x, Roost's own work"
        )
