"""The Alembic migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from storage.db import Database, alembic_config


async def test_migrations_match_the_models(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(
                    sync, opts={"compare_type": True, "include_name": _ours}
                ),
                SQLModel.metadata,
            )
        )
    assert diff == []


def _ours(name: str | None, kind: str, _parent: object) -> bool:
    return not (kind == "table" and name == "apscheduler_jobs")  # APScheduler's, not ours


async def test_the_database_is_at_head_and_upgrading_again_is_a_no_op(db: Database) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await db.current_revision() == head
    await db.upgrade()
    assert await db.current_revision() == head


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}")
    try:
        async with db.engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await db.dispose()
