"""Fan-out of one campaign to many members on Telegram, through Roost (outbox, worker, the
adapter's limiter) against the emulator with Telegram's real limits, beside a naive loop with
python-telegram-bot's defaults; and, with limits off, Roost's cost per delivery beside the
bare library's in the same run."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.clock import ManualClock
from storage.db import Database
from tests.emulators.telegram import Limits, TelegramEmulator, add_user, wait_for
from tests.roost_on_telegram import roost_on_telegram
from tests.seed import telegram_campaign

N = int(os.environ.get("ROOST_BENCH_FANOUT", "300"))
LIMIT = 30  # Telegram's bulk limit, messages a second


def _delivered(tg: TelegramEmulator) -> Counter[int]:
    return Counter(chat for (chat, _), _m in tg.messages.items() if chat > 0)


async def through_roost(
    limits: Limits, count: int, *, pace: bool = True
) -> tuple[float, TelegramEmulator]:
    """Seconds Roost takes to deliver `count` DMs, and the emulator that saw it."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await db.upgrade()
        clock = ManualClock(datetime.now(UTC))
        async with roost_on_telegram(db, clock, limits=limits, pace=pace) as roost:
            await telegram_campaign(db, roost.tg, count, datetime.now(UTC))
            started = time.perf_counter()
            roost.app.worker.wake()
            messages = roost.tg.messages  # only DMs here; counted cheaply on every request
            await wait_for(roost.tg, lambda: len(messages) >= count, seconds=count)
            elapsed = time.perf_counter() - started
            tg = roost.tg
        await db.dispose()
    return elapsed, tg


def sent_by_roost(tg: TelegramEmulator) -> dict[str, Any]:
    """What Roost's first DM of the campaign said, so the naive loop sends the same message."""
    first = next(r.params for r in tg.requests if r.method == "sendMessage")
    return {k: first[k] for k in ("text", "parse_mode", "reply_markup") if k in first}


async def naive(limits: Limits, count: int, message: dict[str, Any]) -> tuple[float, int, int]:
    """A plain loop over send_message with python-telegram-bot's defaults, sending `message`
    (Roost's own text and buttons): (seconds, sent, lost)."""
    tg = TelegramEmulator(limits=limits)
    await tg.start()
    users = [add_user(tg, f"Member{i}") for i in range(count)]
    for user in users:
        user.account.started = True
    bot = Bot(tg.token, base_url=f"{tg.url}/bot", request=HTTPXRequest(connection_pool_size=8))
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
        elapsed = time.perf_counter() - started
    await tg.stop()
    return elapsed, sent, lost


async def main() -> None:
    print(f"Telegram fan-out: {N} members, the emulator enforcing Telegram's limits")
    elapsed, tg = await through_roost(Limits(), N)
    got = _delivered(tg)
    refused = sum(r.status == 429 for r in tg.requests)
    print(
        f"Roost       {N / elapsed:6.1f} msg/s = {N / elapsed / LIMIT:4.0%} of {LIMIT}/s   "
        f"429s {refused}   lost {N - len(got)}   duplicates {sum(n - 1 for n in got.values())}"
    )
    seconds, sent, lost = await naive(Limits(), N, sent_by_roost(tg))
    print(f"naive loop  {sent / seconds:6.1f} msg/s sent   lost {lost} of {N} to 429s")

    count, rounds = N * 3, 3
    print(f"\nlimits off, {count} deliveries, best of {rounds} alternating rounds")
    roost_best = bare_best = float("inf")
    for _ in range(rounds):  # alternate, so that both see the same machine
        roost_seconds, tg = await through_roost(Limits(enabled=False), count, pace=False)
        bare_seconds, _, _ = await naive(Limits(enabled=False), count, sent_by_roost(tg))
        roost_best, bare_best = min(roost_best, roost_seconds), min(bare_best, bare_seconds)
    print(
        f"Roost       {count / roost_best:6.0f} deliveries/s   "
        f"bare PTB loop {count / bare_best:6.0f} sends/s   "
        f"Roost's cost per delivery {roost_best / bare_best:4.2f}x the bare library's"
    )
