"""Crash safety of the outbox with a real Roost process: SIGKILL mid-campaign, restart, and
nobody is lost; only the rows reported uncertain can have gone out twice or not at all."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from functools import partial
from pathlib import Path

from sqlmodel import col, select

from bot.clock import SystemClock
from storage.db import Database
from storage.models import Delivery, Identity
from tests.emulators.telegram import TelegramEmulator, wait_for
from tests.processes import until
from tests.seed import telegram_campaign

MEMBERS = 150
BATCH, IN_FLIGHT = 20, 4  # rows a worker claims at once, and sends it has on the wire


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


async def all_sent(db: Database) -> bool:
    """Whether every row is in a final state."""
    async with db.session() as session:
        rows = await session.exec(
            select(Delivery).where(col(Delivery.state).in_(["pending", "claimed", "sending"]))
        )
        return not list(rows)


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
batch = {BATCH}
concurrency = {IN_FLIGHT}
[processes]
lease_seconds = 1
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


async def test_sigkill_mid_campaign_loses_nobody(tmp_path: Path, db: Database) -> None:
    """Killed three times mid-campaign, Roost loses nobody: a claimed row that was not yet on
    the wire is sent after the restart, and only sends that were on the wire (at most the
    sends in flight) are uncertain: `unknown`, counted in the log, never resent."""
    tg = TelegramEmulator()
    await tg.start()
    users = await telegram_campaign(db, tg, MEMBERS, SystemClock().now())

    config = tmp_path / "roost.toml"
    write_config(config, tg.url)
    url = db.url.render_as_string(hide_password=False)

    def delivered() -> Counter[str]:
        return Counter(str(m["chat"]["id"]) for (chat, _), m in tg.messages.items() if chat > 0)

    def reached(count: int) -> bool:
        return sum(delivered().values()) >= count

    logs = []
    try:
        for kill, after in enumerate((25, 60, 95)):
            logs.append(tmp_path / f"run{kill}.log")
            running = await roost(config, url, tg.token, logs[-1])
            await wait_for(tg, partial(reached, after), seconds=30)
            running.send_signal(signal.SIGKILL)
            await running.wait()
        assert sum(delivered().values()) < MEMBERS  # killed mid-campaign, every time
        logs.append(tmp_path / "last.log")
        last = await roost(config, url, tg.token, logs[-1])
        try:
            await until(lambda: all_sent(db), tg._changed, seconds=60)
        finally:
            await stop(last, logs[-1])
    finally:
        await tg.stop()

    async with db.session() as session:
        rows = list(await session.exec(select(Delivery)))
        member_of = {i.platform_user_id: i.member_id for i in await session.exec(select(Identity))}
    states = Counter(r.state for r in rows)
    uncertain = {r.member_id for r in rows if r.state == "unknown"}
    got = delivered()
    twice = {member_of[u] for u, n in got.items() if n > 1}
    never = {member_of[str(u.id)] for u in users if str(u.id) not in got}
    assert states["sent"] + states["unknown"] == MEMBERS
    assert not twice  # Telegram has no idempotent sends: an uncertain row is never resent
    assert never <= uncertain  # nobody lost beyond the rows reported uncertain
    assert len(uncertain) <= 3 * IN_FLIGHT < 3 * BATCH  # at most what was on the wire
    said = "".join([await asyncio.to_thread(log.read_text) for log in logs])
    assert said.count("uncertain") >= 1 or not uncertain
    reported = sum(int(n) for n in re.findall(r"(\d+) uncertain", said))
    assert reported == len(uncertain)
