"""The talent pipeline's facts: who may be invited to a job, how far each invitation got, and
the funnel from invited to hired with its bottleneck."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from yarl import URL

from storage.models import Delivery, Feedback, Invitation, Job, Join, Member
from storage.models.states import DeliveryState, InvitationStatus
from storage.spreadsheet import sql_cell
from storage.types import MAX_ID

REASONS = ("salary", "location", "timing", "role_fit", "already_applied", "other")
PROGRESS = ("applied", "interviewing", "hired")  # what HR or the ATS reports, in order
# responded: any answer to the invitation, Not now and Not for me included (the article's
# candidate feedback); interested: I'm interested, or the Apply link followed.
STEPS = (
    "invited",
    "delivered",
    "opened",
    "responded",
    "interested",
    "applied",
    "interviewing",
    "hired",
)


async def exclusions(
    session: AsyncSession, job: Job, now: datetime, *, rest_days: int
) -> dict[int, str]:
    """Members not to invite to `job`: invited to it already, or said "not for me" to its
    function within `rest_days`."""
    invited = await session.exec(select(Invitation.member_id).where(Invitation.job_id == job.id))
    found = dict.fromkeys(invited, "already invited")
    declined = await session.exec(
        select(Invitation.member_id)
        .join(Job, col(Job.id) == Invitation.job_id)
        .where(
            Invitation.status == InvitationStatus.NOT_FOR_ME,
            func.lower(Job.function) == job.function.lower(),
            col(Invitation.responded_at) >= now - timedelta(days=rest_days),
        )
    )
    for member in declined:
        found.setdefault(member, "not for me: this function")
    return found


async def invite_rows(session: AsyncSession, campaign_id: int, job_id: int, now: datetime) -> int:
    """One invitation per member row of the campaign that is going out."""
    rows = await session.exec(
        select(Delivery.id, Delivery.member_id, Member.first_source)
        .join(Member, col(Member.id) == Delivery.member_id)
        .where(
            Delivery.campaign_id == campaign_id,
            col(Delivery.state).in_((DeliveryState.HELD, DeliveryState.PENDING)),
        )
    )
    made = 0
    for delivery_id, member_id, source in rows:
        assert member_id is not None
        session.add(
            Invitation(
                job_id=job_id,
                member_id=member_id,
                source=source,
                campaign_id=campaign_id,
                delivery_id=delivery_id,
                invited_at=now,
            )
        )
        made += 1
    return made


def advance(invitation: Invitation, status: str, now: datetime) -> bool:
    """Move an invitation forward to applied, interviewing or hired (stamping any step it
    skipped); False when it is there or further already."""
    target = PROGRESS.index(status)
    reached = [invitation.applied_at, invitation.interviewing_at, invitation.hired_at]
    if reached[target] is not None:
        return False
    for step in PROGRESS[: target + 1]:
        if getattr(invitation, f"{step}_at") is None:
            setattr(invitation, f"{step}_at", now)
    invitation.status = status
    return True


async def click(session: AsyncSession, token: str, now: datetime) -> str | None:
    """The Apply link of an invitation was followed: where to send the candidate (the job's
    application page, told which invitation it was), or None when `token` is no invitation."""
    found = (
        await session.exec(
            select(Invitation, Job)
            .join(Delivery, col(Delivery.id) == Invitation.delivery_id)
            .join(Job, col(Job.id) == Invitation.job_id)
            .where(Delivery.token == token)
        )
    ).first()
    if found is None:
        return None
    invitation, job = found
    invitation.opened_at = invitation.opened_at or now
    invitation.clicked_at = invitation.clicked_at or now
    invitation.responded_at = invitation.responded_at or now
    return str(URL(job.apply_url).update_query(roost_ref=token))


async def find_invitation(
    session: AsyncSession, ref: object, job_id: object, member_id: object
) -> Invitation | None:
    """An invitation as an applicant tracking system names it: the `roost_ref` our Apply link
    carried, or the job and member numbers."""
    if isinstance(ref, str) and ref:
        query = (
            select(Invitation)
            .join(Delivery, col(Delivery.id) == Invitation.delivery_id)
            .where(Delivery.token == ref)
        )
    elif _id(job_id) and _id(member_id):
        query = select(Invitation).where(
            Invitation.job_id == job_id, Invitation.member_id == member_id
        )
    else:
        return None
    return (await session.exec(query)).first()


def _id(value: object) -> bool:
    """A number JSON may carry that an id column can hold (not a bool, not 10**30)."""
    return type(value) is int and 1 <= value <= MAX_ID


@dataclass(frozen=True)
class Scope:
    """Which invitations a funnel counts: all, or a job's, a source's, an event's, a period's."""

    job_id: int | None = None
    source: str | None = None
    invite_code_id: int | None = None  # an event's own code
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Funnel:
    steps: tuple[tuple[str, int], ...]
    reasons: tuple[tuple[str, int], ...]

    def conversions(self) -> list[tuple[str, str, float | None]]:
        """(from step, to step, share that made it) for each step after the first."""
        pairs = zip(self.steps, self.steps[1:], strict=False)
        return [(a, b, (m / n) if n else None) for (a, n), (b, m) in pairs]

    def bottleneck(self) -> tuple[str, str, float] | None:
        """The step that loses the largest share of those who reached the step before it."""
        known = [(a, b, rate) for a, b, rate in self.conversions() if rate is not None]
        if not known:
            return None
        a, b, rate = min(known, key=lambda step: step[2])
        return (a, b, rate) if rate < 1 else None


def _scoped(query: Any, scope: Scope) -> Any:
    if scope.job_id is not None:
        query = query.where(Invitation.job_id == scope.job_id)
    if scope.since is not None:
        query = query.where(col(Invitation.invited_at) >= scope.since)
    if scope.until is not None:
        query = query.where(col(Invitation.invited_at) < scope.until)
    if scope.source is not None:  # the member's first source, carried by the invitation
        query = query.where(Invitation.source == scope.source)
    if scope.invite_code_id is not None:
        joined = select(Join.member_id).where(
            col(Join.first_touch).is_(True), Join.invite_code_id == scope.invite_code_id
        )
        query = query.where(col(Invitation.member_id).in_(joined))
    return query


async def funnel(session: AsyncSession, scope: Scope) -> Funnel:
    interested = or_(
        col(Invitation.interested_at).is_not(None), col(Invitation.clicked_at).is_not(None)
    )
    responded = or_(interested, col(Invitation.responded_at).is_not(None))
    query = (
        select(  # type: ignore[call-overload]  # SQLModel types up to four columns
            func.count(col(Invitation.id)),
            func.count(col(Delivery.sent_at)),
            func.count(col(Invitation.opened_at)),
            func.count(case((responded, 1))),
            func.count(case((interested, 1))),
            func.count(col(Invitation.applied_at)),
            func.count(col(Invitation.interviewing_at)),
            func.count(col(Invitation.hired_at)),
        )
        .select_from(Invitation)
        .outerjoin(Delivery, col(Delivery.id) == Invitation.delivery_id)
    )
    counts = (await session.exec(_scoped(query, scope))).one()
    reasons = await session.exec(
        _scoped(
            select(Feedback.reason, func.count())
            .join(Invitation, col(Invitation.id) == Feedback.invitation_id)
            .group_by(Feedback.reason),
            scope,
        )
    )
    ordered = sorted(((r, n) for r, n in reasons), key=lambda rn: (-rn[1], rn[0]))
    return Funnel(
        steps=tuple(zip(STEPS, (int(n or 0) for n in counts), strict=True)),
        reasons=tuple(ordered),
    )


@dataclass(frozen=True)
class SourceRow:
    source: str
    joined: int
    active: int
    invited: int
    applied: int


async def sources(session: AsyncSession, active_since: datetime) -> list[SourceRow]:
    """Members by the source of their first touch: how many are active, were invited, applied.
    Two index-only passes: the members by source (`ix_member_source`), then the invited
    members by the source their invitations carry (`ix_invitation_source`)."""
    source = col(Member.first_source)
    members = await session.exec(
        select(
            source, func.count(), func.count(case((col(Member.last_active_at) >= active_since, 1)))
        )
        .where(source.is_not(None), col(Member.erased_at).is_(None))
        .group_by(source)
    )
    applied = func.max(case((col(Invitation.applied_at).is_not(None), 1), else_=0))
    per_member = (
        select(Invitation.source, applied.label("applied"))
        .where(col(Invitation.source).is_not(None))
        .group_by(col(Invitation.source), col(Invitation.member_id))
        .subquery()
    )
    invited = {
        name: (int(n), int(a or 0))
        for name, n, a in await session.exec(
            select(per_member.c.source, func.count(), func.sum(per_member.c.applied)).group_by(
                per_member.c.source
            )
        )
    }
    rows = [
        SourceRow(name or "", joined, active, *invited.get(name or "", (0, 0)))
        for name, joined, active in members
    ]
    return sorted(rows, key=lambda r: (-r.joined, r.source))


async def export_invitations(
    session: AsyncSession, scope: Scope, write: Callable[[bytes], Awaitable[None]]
) -> int:
    """The invitations under a funnel as CSV (a header, then `EXPORT_COLUMNS` for each; no
    names, only member numbers; times in ISO 8601), handed to `write` a chunk at a time, so a
    million rows take no more memory than a thousand; how many rows. PostgreSQL writes the
    CSV itself (COPY); on SQLite the csv module writes each batch of a streamed query."""
    conn = await session.connection()
    query = _export_query(scope, postgres=conn.dialect.name == "postgresql")
    if conn.dialect.name == "postgresql":
        compiled = query.compile(dialect=conn.dialect)
        params = [compiled.params[name] for name in compiled.positiontup or ()]
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        status = await driver.copy_from_query(
            str(compiled), *params, output=write, format="csv", header=True
        )
        return int(status.split()[-1])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    result = await conn.stream(query.execution_options(yield_per=2000))
    async for batch in result.partitions():
        writer.writerows(batch)
        count += len(batch)
        await write(text.getvalue().encode())
        text.seek(0)
        text.truncate()
    if not count:
        await write(text.getvalue().encode())
    return count


def _export_query(scope: Scope, *, postgres: bool) -> Any:
    """Each invitation with its job's title, the state of the message that carried it and the
    latest reason given, joined rather than looked up row by row."""
    i = Invitation.__table__.c  # type: ignore[attr-defined]
    if postgres:
        iso = [func.to_char(i[s], 'YYYY-MM-DD"T"HH24:MI:SS"Z"').label(s) for s in STAMPS]
    else:
        iso = [func.strftime("%Y-%m-%dT%H:%M:%SZ", i[s]).label(s) for s in STAMPS]
    latest = (
        select(Feedback.invitation_id, func.max(Feedback.id).label("id"))
        .group_by(col(Feedback.invitation_id))
        .subquery()
    )
    return _scoped(
        select(  # type: ignore[call-overload]
            i.id.label("invitation"),
            i.job_id.label("job"),
            sql_cell(col(Job.title)).label("job_title"),
            i.member_id.label("member"),
            i.source,
            i.status,
            col(Delivery.state).label("delivery"),
            *iso,
            col(Feedback.reason),
        )
        .select_from(Invitation)
        .join(Job, col(Job.id) == i.job_id)
        .outerjoin(Delivery, col(Delivery.id) == i.delivery_id)
        .outerjoin(latest, latest.c.invitation_id == i.id)
        .outerjoin(Feedback, col(Feedback.id) == latest.c.id)
        .order_by(i.id),
        scope,
    )


STAMPS = (
    "invited_at",
    "opened_at",
    "clicked_at",
    "interested_at",
    "responded_at",
    "applied_at",
    "interviewing_at",
    "hired_at",
)
EXPORT_COLUMNS = (
    "invitation",
    "job",
    "job_title",
    "member",
    "source",
    "status",
    "delivery",
    *STAMPS,
    "reason",
)


async def jobs_with_counts(session: AsyncSession) -> list[tuple[Job, int, int]]:
    """Every job, newest first, with how many were invited and how many applied."""
    invited = func.count(col(Invitation.id))
    applied = func.count(col(Invitation.applied_at))
    query = (
        select(Job, invited, applied)
        .outerjoin(Invitation, col(Invitation.job_id) == Job.id)
        .group_by(col(Job.id))
        .order_by(col(Job.id).desc())
    )
    return [(job, int(i), int(a)) for job, i, a in await session.exec(query)]


async def invitation_of(session: AsyncSession, job_id: int, member_id: int) -> Invitation | None:
    query = select(Invitation).where(Invitation.job_id == job_id, Invitation.member_id == member_id)
    return (await session.exec(query)).first()


async def invitation_by_token(
    session: AsyncSession, token: str, member_id: int
) -> tuple[Invitation, Job] | None:
    """The invitation (and its job) a member's button names, if it is theirs."""
    query = (
        select(Invitation, Job)
        .join(Job, col(Job.id) == Invitation.job_id)
        .join(Delivery, col(Delivery.id) == Invitation.delivery_id)
        .where(Delivery.token == token, Invitation.member_id == member_id)
    )
    found = (await session.exec(query)).first()
    return (found[0], found[1]) if found else None


async def latest_declined(session: AsyncSession, member_id: int) -> Invitation | None:
    """The member's latest Not now or Not for me: the one a reason they give is about."""
    query = (
        select(Invitation)
        .where(
            Invitation.member_id == member_id,
            col(Invitation.status).in_((InvitationStatus.NOT_NOW, InvitationStatus.NOT_FOR_ME)),
        )
        .order_by(col(Invitation.responded_at).desc())
    )
    return (await session.exec(query)).first()
