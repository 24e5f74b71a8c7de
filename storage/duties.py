"""When each daily duty last ran, shared by every Roost process on the database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DutyRun


async def started(session: AsyncSession, name: str, now: datetime) -> None:
    run = await session.get(DutyRun, name)
    if run is None:
        session.add(DutyRun(name=name, started_at=now))
    else:
        run.started_at = now


async def finished(session: AsyncSession, name: str, now: datetime, seconds: float) -> None:
    run = await session.get(DutyRun, name)
    if run is None:
        run = DutyRun(name=name, started_at=now)
        session.add(run)
    run.finished_at, run.seconds = now, seconds


async def last_runs(session: AsyncSession) -> dict[str, DutyRun]:
    return {run.name: run for run in await session.exec(select(DutyRun))}
