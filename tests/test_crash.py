"""Crash safety of the outbox with a real Roost process: SIGKILL mid-campaign, restart, and
nobody is lost; only the rows reported uncertain can have gone out twice or not at all."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import select

from bot.clock import SystemClock
from storage.db import Database
from storage.models import Delivery, Identity
from tests.emulators.telegram import TelegramEmulator, wait_for
from tests.seed import telegram_campaign

MEMBERS = 150


async def roost(config: Path, db_url: str, token: str, log: Path) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "ROOST_CONFIG": str(config),
        "ROOST_DATABASE_URL": db_url,
        "ROOST_TELEGRAM_TOKEN": token,
        "PYTHONFAULTHANDLER": "1",
    }
    with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


def unfinished(path: str) -> int:
    """Rows not yet in a final state, read straight from the SQLite file."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return int(
            db.execute(
                "SELECT count(*) FROM delivery WHERE state IN ('pending', 'sending')"
            ).fetchone()[0]
        )


def write_config(path: Path, api_url: str) -> None:
    path.write_text(f"""
[web]
enabled = false
[console]
enabled = false
[telegram]
api_url = "{api_url}"
poll_timeout = 1
[outbox]
batch = 10
stale_after_seconds = 0
""")


async def stop(process: asyncio.subprocess.Process, log: Path) -> None:
    """SIGTERM, and Roost must exit; if it hangs, its threads are shown (faulthandler)."""
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(20):
            await process.wait()
    except TimeoutError:
        process.send_signal(signal.SIGABRT)
        await process.wait()
        tail = (await asyncio.to_thread(log.read_text))[-4000:]
        raise AssertionError("Roost did not exit after SIGTERM:\n" + tail) from None


async def test_sigkill_mid_campaign_loses_nobody(tmp_path: Path, sqlite_db: Database) -> None:
    tg = TelegramEmulator()
    await tg.start()
    users = await telegram_campaign(sqlite_db, tg, MEMBERS, SystemClock().now())

    config = tmp_path / "roost.toml"
    write_config(config, tg.url)

    url = sqlite_db.url.render_as_string(hide_password=False)
    path = sqlite_db.url.database or ""

    def delivered() -> Counter[str]:
        return Counter(str(m["chat"]["id"]) for (chat, _), m in tg.messages.items() if chat > 0)

    first = await roost(config, url, tg.token, tmp_path / "first.log")
    await wait_for(tg, lambda: sum(delivered().values()) >= 40, seconds=30)
    first.send_signal(signal.SIGKILL)
    await first.wait()
    before = sum(delivered().values())
    assert before < MEMBERS  # killed mid-campaign

    second = await roost(config, url, tg.token, tmp_path / "second.log")
    try:
        await wait_for(tg, lambda: sum(delivered().values()) > before, seconds=30)  # resumed
        async with sqlite_db.session() as session:
            uncertain = {
                r.member_id
                for r in await session.exec(select(Delivery).where(Delivery.state == "unknown"))
            }
        await wait_for(tg, lambda: unfinished(path) == 0, seconds=60)
    finally:
        await stop(second, tmp_path / "second.log")
        await tg.stop()

    async with sqlite_db.session() as session:
        states = Counter(r.state for r in await session.exec(select(Delivery)))
        member_of = {i.platform_user_id: i.member_id for i in await session.exec(select(Identity))}
    got = delivered()
    twice = {member_of[u] for u, n in got.items() if n > 1}
    never = {member_of[str(u.id)] for u in users if str(u.id) not in got}
    assert (
        states["sent"] + states["unknown"] == MEMBERS
        and states["pending"] == states["sending"] == 0
    )
    assert twice <= uncertain and never <= uncertain  # nothing lost or doubled beyond the reported
    log = await asyncio.to_thread((tmp_path / "second.log").read_text)
    assert f"{len(uncertain)} uncertain" in log or not uncertain
