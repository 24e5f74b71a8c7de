"""Core overhead: events/s through App.handle (identify, middleware chain, handler, commit,
render) against the bare database work one event needs (look up an identity, touch a row,
commit), measured in the same run on the same database. Each event carries its own id, as
the platforms' do, so the figure includes recording it (an event is handled once)."""

from __future__ import annotations

import dataclasses
import io
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bench.util import postgres_database
from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.clock import ManualClock
from bot.events import Chat, ChatKind, CommandInvoked, Origin, User
from bot.settings import Settings
from storage.db import Database
from storage.models import Identity, Member

USERS = 200
EVENTS = int(os.environ.get("ROOST_BENCH_EVENTS", "2000"))


async def bench(url: str, label: str) -> None:
    db = Database(url)
    await db.upgrade()
    clock = ManualClock(datetime(2026, 11, 27, tzinfo=UTC))
    settings = Settings.model_validate(
        {"web": {"enabled": False}, "limits": {"commands_per_minute": 10**6}}
    )
    console = ConsoleAdapter(out=io.StringIO(), interactive=False)
    app = build_app(settings, [console], db, clock)
    origins = [
        Origin(
            User("console", f"u{i}", name=f"U{i}", handle=f"u{i}"),
            Chat("console", f"dm:u{i}", ChatKind.DM),
        )
        for i in range(USERS)
    ]
    for origin in origins:  # first contact happens once per member; measure steady state
        await app.handle(CommandInvoked(origin=origin, name="consent"))

    started = time.perf_counter()
    for i in range(EVENTS):
        clock.advance(timedelta(milliseconds=1))
        origin = dataclasses.replace(origins[i % USERS], event_id=str(i))
        await app.handle(CommandInvoked(origin=origin, name="consent"))
    roost = EVENTS / (time.perf_counter() - started)

    started = time.perf_counter()
    for i in range(EVENTS):
        async with db.session() as session:
            row = (
                await session.exec(
                    select(Member, Identity)
                    .join(Identity)
                    .where(
                        Identity.platform == "console", Identity.platform_user_id == f"u{i % USERS}"
                    )
                )
            ).one()
            row[0].last_active_at = clock.advance(timedelta(milliseconds=1))
            await session.commit()
    bare = EVENTS / (time.perf_counter() - started)
    await db.dispose()
    print(
        f"{label:<11} core {roost:8.0f} events/s   bare db {bare:8.0f} units/s   "
        f"core costs {bare / roost:4.2f}x the bare database work"
    )


async def main() -> None:
    print(f"core dispatch: {EVENTS} /consent commands from {USERS} members")
    with tempfile.TemporaryDirectory() as tmp:
        await bench(f"sqlite+aiosqlite:///{tmp}/bench.db", "SQLite")
    async with postgres_database() as url:
        if url is None:
            print("PostgreSQL  skipped: not reachable")
        else:
            await bench(url, "PostgreSQL")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
