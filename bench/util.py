"""Shared by the benchmarks: throwaway, migrated databases (PostgreSQL when a server is
reachable)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator

import asyncpg

from storage.db import Database

ADMIN = os.environ.get("ROOST_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """The URL of a fresh database (dropped afterwards), or None without a server."""
    name = f"roost_bench_{os.getpid()}"
    try:
        conn = await asyncpg.connect(ADMIN, timeout=5)
    except (OSError, asyncpg.PostgresError):
        yield None
        return
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        yield ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@contextlib.asynccontextmanager
async def sqlite() -> AsyncIterator[Database]:
    """A migrated SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{folder}/bench.db")
        await db.upgrade()
        yield db
        await db.dispose()


@contextlib.asynccontextmanager
async def postgres() -> AsyncIterator[Database | None]:
    """A migrated PostgreSQL database, or None without a server."""
    async with postgres_database() as url:
        if url is None:
            yield None
            return
        db = Database(url)
        await db.upgrade()
        yield db
        await db.dispose()
