"""A lease in the database: of several Roost processes, the one holding it does a job that
must have a single owner (running the APScheduler job store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SchedulerLease


async def hold(
    session: AsyncSession, name: str, holder: str, *, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease: true while `holder` has it. One UPDATE decides, so two
    processes can never both win."""
    taken = await session.exec(
        update(SchedulerLease)
        .where(
            col(SchedulerLease.name) == name,
            or_(col(SchedulerLease.holder) == holder, col(SchedulerLease.expires_at) < now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount:
        await session.commit()
        return True
    if await session.get(SchedulerLease, name) is not None:
        await session.rollback()
        return False
    session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
    try:
        await session.commit()
    except IntegrityError:  # another process created it first
        await session.rollback()
        return False
    return True


async def release(session: AsyncSession, name: str, holder: str) -> None:
    await session.exec(
        update(SchedulerLease)
        .where(col(SchedulerLease.name) == name, col(SchedulerLease.holder) == holder)
        .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    )
    await session.commit()
