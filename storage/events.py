"""Events: registration with a capacity and a waitlist that moves up, check-in with a code
revealed during the event, and the numbers HR sees afterwards."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CommunityEvent, Join, Registration
from storage.models.states import RegistrationStatus
from storage.surveys import summary

MAX_CHECKIN_TRIES = 5
CHECKIN_OPENS = timedelta(minutes=30)  # before the start


async def registration(session: AsyncSession, event_id: int, member_id: int) -> Registration | None:
    return (
        await session.exec(
            select(Registration).where(
                Registration.event_id == event_id, Registration.member_id == member_id
            )
        )
    ).first()


async def registered_count(session: AsyncSession, event_id: int) -> int:
    return (
        await session.exec(
            select(func.count()).where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.REGISTERED,
            )
        )
    ).one()


async def register(
    session: AsyncSession, event: CommunityEvent, member_id: int, now: datetime
) -> str:
    """registered, waitlisted, or already (the member's standing status)."""
    found = await registration(session, event.id or 0, member_id)
    if found is not None and found.status != RegistrationStatus.CANCELLED:
        return "already"
    full = event.capacity is not None and await registered_count(session, event.id or 0) >= (
        event.capacity
    )
    status = RegistrationStatus.WAITLISTED if full else RegistrationStatus.REGISTERED
    if found is None:
        found = Registration(event_id=event.id or 0, member_id=member_id, registered_at=now)
        session.add(found)
    found.status, found.registered_at = status, now
    await session.flush()
    return status


async def cancel(session: AsyncSession, event: CommunityEvent, member_id: int) -> int | None:
    """Cancel the member's place; the member moved up from the waitlist, if any."""
    found = await registration(session, event.id or 0, member_id)
    if found is None or found.status == RegistrationStatus.CANCELLED:
        return None
    freed = found.status == RegistrationStatus.REGISTERED
    found.status = RegistrationStatus.CANCELLED
    if not freed:
        return None
    first = (
        await session.exec(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
            .order_by(col(Registration.registered_at), col(Registration.id))
        )
    ).first()
    if first is None:
        return None
    first.status = RegistrationStatus.REGISTERED
    return first.member_id


def new_checkin_code(event: CommunityEvent) -> str:
    code = "".join(secrets.choice("23456789") for _ in range(6))
    event.checkin_code_hash = _hash(event.id or 0, code)
    return code


def _hash(event_id: int, code: str) -> str:
    return hashlib.sha256(f"{event_id}:{code.strip()}".encode()).hexdigest()


async def check_in(
    session: AsyncSession, event: CommunityEvent, member_id: int, code: str, now: datetime
) -> str:
    """attended, already, not registered, not open, no code, locked or wrong."""
    found = await registration(session, event.id or 0, member_id)
    if found is None or found.status != RegistrationStatus.REGISTERED:
        return "not registered"
    if found.attended_at is not None:
        return "already"
    if not event.starts_at - CHECKIN_OPENS <= now <= event.ends_at:
        return "not open"
    if event.checkin_code_hash is None:
        return "no code"
    if found.checkin_attempts >= MAX_CHECKIN_TRIES:
        return "locked"
    if not hmac.compare_digest(_hash(event.id or 0, code), event.checkin_code_hash):
        found.checkin_attempts += 1
        return "locked" if found.checkin_attempts >= MAX_CHECKIN_TRIES else "wrong"
    found.attended_at = now
    return "attended"


@dataclass(frozen=True)
class EventNumbers:
    registered: int
    waitlisted: int
    attended: int
    new_members: int  # joined through the event's own code
    responses: int
    satisfaction: float | None  # 1-5
    recommend: float | None  # 0-10

    @property
    def attendance(self) -> float | None:
        return self.attended / self.registered if self.registered else None

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.registered if self.registered else None


async def numbers(session: AsyncSession, event: CommunityEvent) -> EventNumbers:
    """Counted in the database: an event's registrations are never loaded."""
    status = col(Registration.status)
    registered, waitlisted, attended = (
        await session.exec(
            select(
                func.count(case((status == RegistrationStatus.REGISTERED, 1))),
                func.count(case((status == RegistrationStatus.WAITLISTED, 1))),
                func.count(col(Registration.attended_at)),
            ).where(Registration.event_id == event.id)
        )
    ).one()
    joined = 0
    if event.invite_code_id is not None:
        joined = (
            await session.exec(
                select(func.count()).where(Join.invite_code_id == event.invite_code_id)
            )
        ).one()
    answers = await summary(session, event.survey_id)
    return EventNumbers(
        registered=registered,
        waitlisted=waitlisted,
        attended=attended,
        new_members=joined,
        responses=answers.count,
        satisfaction=answers.satisfaction,
        recommend=answers.recommend,
    )


async def events_since(session: AsyncSession, since: datetime) -> list[CommunityEvent]:
    """Events starting from `since` on (and those planned), in order."""
    query = (
        select(CommunityEvent)
        .where(col(CommunityEvent.starts_at) >= since)
        .order_by(col(CommunityEvent.starts_at))
    )
    return list(await session.exec(query))


async def upcoming(session: AsyncSession, now: datetime) -> list[CommunityEvent]:
    """Events not over yet and not cancelled, the soonest first."""
    query = (
        select(CommunityEvent)
        .where(col(CommunityEvent.ends_at) > now, col(CommunityEvent.cancelled_at).is_(None))
        .order_by(col(CommunityEvent.starts_at))
    )
    return list(await session.exec(query))


async def on_now_for(session: AsyncSession, member_id: int, now: datetime) -> CommunityEvent | None:
    """The event the member registered for that is on now (or starts within half an hour)."""
    query = (
        select(CommunityEvent)
        .join(Registration, col(Registration.event_id) == CommunityEvent.id)
        .where(
            Registration.member_id == member_id,
            col(CommunityEvent.ends_at) >= now,
            col(CommunityEvent.starts_at) <= now + timedelta(minutes=30),
        )
    )
    return (await session.exec(query)).first()
