"""Fixtures: every storage-touching test runs on SQLite and on PostgreSQL.

PostgreSQL gets one throwaway database per run (created here, dropped at the end), migrated
once and truncated between tests. Without a reachable server the PostgreSQL half is skipped
locally with the reason printed, and fails in CI (CI=true).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from tests.chat import Chat

# python-telegram-bot's future behaviour (RetryAfter.retry_after as a timedelta), which its
# own internals otherwise warn about, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")

PG_ADMIN = os.environ.get("ROOST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _pg_database() -> Iterator[str | None]:
    name = f"roost_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL is required in CI: {exc}") from exc
        print(f"\nPostgreSQL not reachable at {PG_ADMIN} ({exc}); its tests are skipped.")
        yield None
        return
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    yield from _pg_database()


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str | None) -> str | None:
    if pg_url is not None:
        asyncio.run(_upgrade(pg_url))
    return pg_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "roost.db"
    asyncio.run(_upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


async def _upgrade(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "roost.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str | None = request.getfixturevalue("pg_migrated")
    if url is None:
        pytest.skip("PostgreSQL is not reachable (see the note at the start of the run)")
    asyncio.run(_truncate(url))
    return url


async def _truncate(url: str) -> None:
    db = Database(url)
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            await conn.execute(text("DROP TABLE IF EXISTS apscheduler_jobs"))  # APScheduler's own
    finally:
        await db.dispose()


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    """For tests of adapters and emulators, where the store is beside the point."""
    shutil.copy(sqlite_template, tmp_path / "roost.db")
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}")
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def settings() -> Settings:
    return Settings.model_validate(
        {
            "community": {"name": "Acme Talent Community"},
            "web": {"enabled": False},
            "roles": {
                "hr": ["console:hr"],
                "admin": ["console:boss"],
                "employee": ["console:employee"],
            },
        }
    )


@pytest.fixture
def chat(settings: Settings, db: Database, clock: ManualClock) -> Chat:
    """A running Roost on the console adapter, with helpers to act as its users."""
    return Chat.start(settings, db, clock)


@pytest.fixture
async def postgres_db(pg_migrated: str | None) -> AsyncIterator[Database]:
    """A migrated, empty PostgreSQL database, for what only PostgreSQL does (several
    processes at once, a server that drops its connections)."""
    if pg_migrated is None:
        pytest.skip("PostgreSQL is not reachable (see the note at the start of the run)")
    await _truncate(pg_migrated)
    database = Database(pg_migrated)
    yield database
    await database.dispose()
