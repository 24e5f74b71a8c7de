"""Alembic environment. Roost hands in a live connection (see storage.db); the alembic CLI,
used only to write new revisions, connects to $ROOST_DATABASE_URL through a sync driver."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table)

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = os.environ.get("ROOST_DATABASE_URL", "sqlite:///roost.db")
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    with create_engine(url).connect() as conn:
        _migrate(conn)
        conn.commit()


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        include_name=_ours,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _ours(name: str | None, kind: str, _parent: object) -> bool:
    """APScheduler keeps its own table in the same database; it is not ours to migrate."""
    return not (kind == "table" and name == "apscheduler_jobs")


run()
