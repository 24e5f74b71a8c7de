"""Jobs members find themselves: the open jobs that fit a profile, alerts for new ones, and the
Not now that comes back when the time is right."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, literal, or_
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Feedback, Invitation, Job, JobAlert, Member
from storage.models.states import InvitationStatus


def _open(now: datetime) -> ColumnElement[bool]:
    return or_(col(Job.closes_at).is_(None), col(Job.closes_at) > now)


async def open_jobs(
    session: AsyncSession, now: datetime, fitting: Member | None = None, limit: int = 20
) -> list[Job]:
    """Open jobs, newest first; with `fitting`, those of the member's function, at their
    seniority and place where they gave one (remote jobs fit every place)."""
    query = select(Job).where(_open(now))
    if fitting is not None:
        if fitting.function:
            query = query.where(func.lower(Job.function) == fitting.function.lower())
        if fitting.seniority:
            seniority = col(Job.seniority)
            query = query.where(
                or_(seniority.is_(None), func.lower(seniority) == fitting.seniority.lower())
            )
        if fitting.location:
            place = func.lower(func.coalesce(Job.location, ""))
            query = query.where(
                or_(
                    place.contains(fitting.location.lower()),
                    place.contains("remote"),
                    place == "",
                )
            )
    return list(await session.exec(query.order_by(col(Job.id).desc()).limit(limit)))


async def alerts_of(session: AsyncSession, member_id: int) -> list[JobAlert]:
    query = select(JobAlert).where(JobAlert.member_id == member_id).order_by(col(JobAlert.id))
    return list(await session.exec(query))


async def stop_alerts(session: AsyncSession, member_id: int) -> None:
    await session.exec(delete(JobAlert).where(col(JobAlert.member_id) == member_id))


async def subscribers(session: AsyncSession, job: Job) -> list[int]:
    """Members with an alert this job matches (each criterion they gave)."""

    def same(column: Any, value: str | None) -> ColumnElement[bool]:
        given = col(column)
        return or_(given.is_(None), func.lower(given) == (value or "").lower())

    place = (job.location or "").lower()
    where = col(JobAlert.location)
    query = select(JobAlert.member_id).where(
        same(JobAlert.function, job.function),
        same(JobAlert.seniority, job.seniority),
        or_(where.is_(None), literal(place).contains(func.lower(where))),
    )
    return sorted(set(await session.exec(query.distinct())))


async def due_to_come_back(
    session: AsyncSession, now: datetime, after: timedelta
) -> list[tuple[Invitation, Job]]:
    """Not now invitations, for timing, answered at least `after` ago and not come back yet."""
    timing = select(Feedback.invitation_id).where(Feedback.reason == "timing")
    query = (
        select(Invitation, Job)
        .join(Job, col(Job.id) == Invitation.job_id)
        .where(
            Invitation.status == InvitationStatus.NOT_NOW,
            col(Invitation.came_back_at).is_(None),
            col(Invitation.responded_at) <= now - after,
            col(Invitation.id).in_(timing),
        )
    )
    return [(i, j) for i, j in await session.exec(query)]


async def newest_open_job(
    session: AsyncSession, function: str, now: datetime, invited: Sequence[int]
) -> Job | None:
    """The newest open job of a function, among those the member was not invited to."""
    query = (
        select(Job)
        .where(_open(now), func.lower(Job.function) == function.lower())
        .where(col(Job.id).not_in(invited))
        .order_by(col(Job.id).desc())
    )
    return (await session.exec(query)).first()


async def jobs_invited_to(session: AsyncSession, member_id: int) -> list[int]:
    query = select(Invitation.job_id).where(Invitation.member_id == member_id)
    return list(await session.exec(query))


async def sync_board(
    session: AsyncSession,
    prefix: str,
    postings: Sequence[Any],
    now: datetime,
    function: Callable[[str], str],
) -> tuple[list[Job], int]:
    """Make Roost's jobs from one board (`prefix`: `greenhouse:` or `lever:`) match its open
    postings: new ones added, changed ones updated, those gone closed now; (added, closed)."""
    held = {
        job.external_id: job
        for job in await session.exec(select(Job).where(col(Job.external_id).startswith(prefix)))
    }
    added: list[Job] = []
    for posting in postings:
        job = held.pop(posting.external_id, None)
        if job is None:
            job = Job(
                external_id=posting.external_id,
                title=posting.title,
                function="",
                apply_url=posting.apply_url,
                created_at=now,
            )
            added.append(job)
        job.title, job.location, job.apply_url = posting.title, posting.location, posting.apply_url
        job.function = function(posting.department)
        if job.closes_at is not None and job.closes_at <= now:
            job.closes_at = None  # open again on the board
        session.add(job)
    closed = 0
    for job in held.values():
        if job.closes_at is None or job.closes_at > now:
            job.closes_at, closed = now, closed + 1
    await session.flush()
    return added, closed
