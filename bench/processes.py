"""Several Roost processes on one PostgreSQL database: deliveries a second with 1, 2 and 3
`roost run` processes against the Telegram emulator with its limits off (each figure beside
one process's, measured in the same run), and how long a singleton duty stays unheld after
its holder is killed with kill -9.

Roost's own cost per delivery is what bounds a limits-off run, so the ratio says how well
processes share the outbox; on a machine with fewer cores than processes (and the emulator
itself competing for them) it is bounded by the cores, and the output says how many there
are. Needs PostgreSQL (SQLite has one writer, so one process).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench.util import postgres
from bot.clock import SystemClock
from storage.db import Database
from storage.leases import holders
from tests.emulators.telegram import Limits, TelegramEmulator, add_user, wait_for
from tests.processes import Processes, settings_file, until
from tests.seed import campaign_to

ROWS = int(os.environ.get("ROOST_BENCH_PROCESS_ROWS", "3000"))
LEASE = float(os.environ.get("ROOST_BENCH_LEASE", "5"))
KILLS = 3


async def present(db: Database, count: int, duty: str = "listen:telegram") -> bool:
    """Whether `count` workers are present and `duty` is held."""
    async with db.session() as session:
        held = await holders(session, SystemClock().now())
    return sum(name.startswith("worker:") for name in held) >= count and duty in held


async def throughput(db: Database, tg: TelegramEmulator, roost: Processes, count: int) -> float:
    """Deliveries a second with `count` processes: accepted sends at the emulator, first to
    last, for a campaign of ROWS members made once they are all up."""
    for _ in range(count):
        await roost.start()
    await until(lambda: present(db, count), tg._changed, seconds=60)
    users = [add_user(tg, f"P{count}M{i}") for i in range(ROWS)]
    for user in users:
        user.account.started = True
    mine = {u.id for u in users}
    before = len(tg.requests)
    await campaign_to(db, "telegram", [str(u.id) for u in users], datetime.now(UTC))

    def arrived() -> list[float]:
        return [
            r.at
            for r in tg.requests[before:]
            if r.method == "sendMessage" and r.status == 200 and int(r.params["chat_id"]) in mine
        ]

    await wait_for(tg, lambda: len(arrived()) >= ROWS, seconds=600)
    times = arrived()
    await roost.stop_all()
    return (len(times) - 1) / (times[-1] - times[0])


async def takeovers(db: Database, tg: TelegramEmulator, roost: Processes) -> list[float]:
    """Seconds from kill -9 of Telegram's poller to the next long poll, KILLS times."""
    for _ in range(3):
        await roost.start()
    await until(lambda: present(db, 3), tg._changed, seconds=60)
    gaps = []
    for _ in range(KILLS):
        async with db.session() as session:
            holder = (await holders(session, SystemClock().now()))["listen:telegram"]
        killed = time.monotonic()
        await roost.kill(int(holder.split(":")[-2]))
        polls = partial(polled_since, tg, len(tg.requests))  # none from the dead from now
        await wait_for(tg, polls, seconds=4 * LEASE)
        gaps.append(time.monotonic() - killed)
        await roost.start()
        await until(lambda: present(db, 3), tg._changed, seconds=60)
    await roost.stop_all()
    return gaps


def polled_since(tg: TelegramEmulator, start: int) -> bool:
    return any(r.method == "getUpdates" for r in tg.requests[start:])


async def main() -> None:
    cores = os.cpu_count() or 1
    print(f"Several processes on PostgreSQL, Telegram emulator with limits off, {cores} cores")
    async with postgres() as db:
        if db is None:
            print("  skipped: no PostgreSQL reachable")
            return
        url = db.url.render_as_string(hide_password=False)
        tg = TelegramEmulator(limits=Limits(enabled=False))
        await tg.start()
        try:
            with tempfile.TemporaryDirectory() as folder:
                roost = Processes(
                    settings_file(
                        Path(folder),
                        tg,
                        community={"log_level": "WARNING"},
                        telegram={"pace": False},
                        outbox={"poll_seconds": 0.05},
                        processes={"lease_seconds": LEASE},
                    ),
                    {"ROOST_DATABASE_URL": url, "ROOST_TELEGRAM_TOKEN": tg.token},
                )
                rates = {n: await throughput(db, tg, roost, n) for n in (1, 2, 3)}
                for n, rate in rates.items():
                    print(
                        f"  {n} process{'es' if n > 1 else '  '}  {rate:7.0f} deliveries/s"
                        f"   ratio to one {rate / rates[1]:4.2f}"
                    )
                gaps = await takeovers(db, tg, roost)
                shown = ", ".join(f"{g:.1f}" for g in gaps)
                print(
                    f"  kill -9 of the Telegram poller, lease {LEASE:.0f} s: polling again "
                    f"after {shown} s (at most about 4/3 of the lease)"
                )
        finally:
            await tg.stop()


if __name__ == "__main__":
    asyncio.run(main())
