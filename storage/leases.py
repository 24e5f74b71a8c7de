"""Leases in the database: among Roost processes sharing it, the one holding a duty's lease
does that duty (the scheduler, a platform's one inbound connection), and each delivery
worker's presence lease says that the rows it claimed are still being worked on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Lease

WORKER = "worker:"  # a delivery worker's presence: `worker:<process>`


async def hold(
    session: AsyncSession, name: str, holder: str, *, now: datetime, ttl: timedelta
) -> bool:
    """Take or renew the lease: true while `holder` has it. One UPDATE decides, so two
    processes can never both win."""
    taken = await session.exec(
        update(Lease)
        .where(
            col(Lease.name) == name,
            or_(col(Lease.holder) == holder, col(Lease.expires_at) < now),
        )
        .values(holder=holder, expires_at=now + ttl)
    )
    if taken.rowcount:
        await session.commit()
        return True
    if await session.get(Lease, name) is not None:
        await session.rollback()
        return False
    session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
    try:
        await session.commit()
    except IntegrityError:  # another process created it first
        await session.rollback()
        return False
    return True


async def release(session: AsyncSession, name: str, holder: str) -> None:
    await session.exec(
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=datetime(2000, 1, 1, tzinfo=UTC))
    )
    await session.commit()


async def holders(session: AsyncSession, now: datetime) -> dict[str, str]:
    """Each lease held now: its name and holder (what `roost status` shows)."""
    held = await session.exec(select(Lease).where(col(Lease.expires_at) >= now))
    return {lease.name: lease.holder for lease in held}


async def forget_workers(session: AsyncSession, before: datetime) -> None:
    """Presence leases of workers gone since before `before` (their rows recovered)."""
    await session.exec(
        delete(Lease).where(col(Lease.name).startswith(WORKER), col(Lease.expires_at) < before)
    )
