"""PostgreSQL drops Roost's connections mid-campaign (a server restart, a terminated backend,
a failover): the worker and the scheduler reconnect with backoff, log one line each way, and
carry on. Nothing stalls, nothing is lost, nothing is sent twice."""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.clock import ManualClock
from storage.db import Database
from storage.leases import holders
from storage.models import Delivery
from tests.emulators.telegram import wait_for
from tests.roost_on_telegram import roost_on_telegram
from tests.seed import telegram_campaign

MEMBERS = 120

DROP = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def drop_connections(admin: Database) -> int:
    """Terminate every other connection to Roost's database, as a server restart would."""
    async with admin.engine.connect() as conn:
        return int((await conn.execute(DROP)).scalar_one())


async def test_dropped_connections_are_waited_out_and_nothing_is_lost(
    postgres_db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="roost")
    admin = Database(postgres_db.url.render_as_string(hide_password=False))
    try:
        async with roost_on_telegram(postgres_db, clock) as roost:
            tg = roost.tg
            members = await telegram_campaign(postgres_db, tg, MEMBERS, clock.now())

            def delivered() -> int:
                return sum(1 for (chat, _), _m in tg.messages.items() if chat > 0)

            roost.app.worker.wake()
            for after in (20, 50, 80):  # three times mid-campaign
                await wait_for(tg, lambda after=after: delivered() >= after, seconds=20)  # type: ignore[misc]
                assert await drop_connections(admin) >= 1
            await wait_for(tg, lambda: delivered() >= MEMBERS, seconds=60)  # no stall
            await roost.app.worker.wait_recorded(MEMBERS)
            async with postgres_db.session() as session:  # the scheduler still holds its lease
                assert "scheduler" in await holders(session, clock.now())
            hello = roost.user("Hello")
            assert "/profile" in await roost.say(hello, "/help")  # and chat goes on
    finally:
        await admin.dispose()

    got = Counter(m["chat"]["id"] for (chat, _), m in tg.messages.items() if chat > 0)
    assert sorted(got[u.id] for u in members) == [1] * MEMBERS  # each exactly once
    async with postgres_db.session() as session:
        states = Counter(r.state for r in await session.exec(select(Delivery)))
    assert states == {"sent": MEMBERS}
    said = [r.getMessage() for r in caplog.records]
    lost = [line for line in said if "database unreachable" in line]
    back = [line for line in said if "database reachable again" in line]
    assert lost and len(lost) == len(back)  # one line as it goes, one as it comes back
