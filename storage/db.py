"""The database: one async engine, sessions per unit of work, migrations on demand."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"

# The unit of work every query takes: features name it by this, and never import SQLModel.
Session = AsyncSession


class Database:
    """Owns the engine. SQLite runs in WAL mode with foreign keys on, so readers never block the
    single writer. PostgreSQL runs without JIT compilation: Roost's statements take
    milliseconds to a few hundred, and compiling one costs about as much as running it."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
            kwargs["connect_args"] = {"server_settings": {"jit": "off"}}
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def session(self) -> AsyncSession:
        return self.sessions()

    async def upgrade(self, revision: str = "head") -> None:
        """Apply pending Alembic migrations (what `roost db upgrade` and `roost run` do)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def dispose(self) -> None:
        await self.engine.dispose()


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says the database could not be reached (a server restarting, a terminated
    backend, a failover, SQLite busy) rather than that a statement was wrong: worth a retry."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
    )


class Outage:
    """A database outage as one part of Roost sees it: one line when it starts, one when it
    ends, however many tries lie between, and how long to wait before the next try."""

    def __init__(self, log: logging.Logger, who: str) -> None:
        self.log, self.who, self.tries = log, who, 0

    def failed(self, exc: BaseException) -> float:
        """Seconds to wait before trying again (0.5 doubling to 30)."""
        if not self.tries:
            self.log.warning("%s: database unreachable (%s); retrying", self.who, _first_line(exc))
        self.tries += 1
        return float(min(30.0, 0.5 * 2 ** (self.tries - 1)))

    def ok(self) -> None:
        if self.tries:
            self.log.warning("%s: database reachable again after %d tries", self.who, self.tries)
        self.tries = 0


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
