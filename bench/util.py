"""Shared by the benchmarks: a throwaway PostgreSQL database when a server is reachable."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg

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
