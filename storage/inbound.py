"""Inbound events handled once, whichever Roost process a platform's retry reaches.

The key goes in with the handler's own transaction: if the handler fails, the key goes with
its rollback and a retry is handled; once it commits, a retry on any process finds the key
and is refused. Two processes handling one event at once meet at the primary key, and the
second waits for the first to commit (then skips) or roll back (then handles it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HandledEvent

HANDLED_KEPT = timedelta(days=1)  # platforms retry within minutes; a day is plenty


async def first_time(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record `key` in the session's transaction; whether it was new."""
    postgres = session.get_bind().dialect.name == "postgresql"
    dialect = postgresql if postgres else sqlite
    added = await session.exec(
        dialect.insert(HandledEvent)
        .values(key=key[:200], at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return bool(added.rowcount)


async def forget_handled(session: AsyncSession, before: datetime) -> None:
    await session.exec(delete(HandledEvent).where(col(HandledEvent.at) < before))
