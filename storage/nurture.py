"""Nurture sequences: defining them, who enters, and what each member did since a step went
out (the signals the sequence branches on)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.members import MemberFilter, segment_ids
from storage.models import (
    Campaign,
    Delivery,
    Enrollment,
    Interaction,
    Invitation,
    InviteCode,
    Join,
    Nurture,
    NurtureStep,
    Registration,
    Vote,
)
from storage.models.states import (
    DeliveryState,
    EnrollmentState,
    InvitationStatus,
    RegistrationStatus,
)

SIGNALS = ("opened", "finished", "voted", "registered", "attended", "answered")


async def nurtures(session: AsyncSession) -> list[Nurture]:
    return list(await session.exec(select(Nurture).order_by(col(Nurture.id))))


async def steps_of(session: AsyncSession, nurture_id: int) -> list[NurtureStep]:
    query = select(NurtureStep).where(NurtureStep.nurture_id == nurture_id)
    return list(await session.exec(query.order_by(col(NurtureStep.position))))


async def newcomers(
    session: AsyncSession, nurture: Nurture, segment: MemberFilter | None, now: datetime
) -> list[int]:
    """Members the entry lets in who were never enrolled: the segment's, those who joined
    through the code since the sequence started, or the event's registrants."""
    entry = nurture.entry
    if segment is not None:
        found = await segment_ids(session, segment, now)
    elif "code" in entry:
        query = (
            select(Join.member_id)
            .join(InviteCode, col(InviteCode.id) == Join.invite_code_id)
            .where(func.lower(InviteCode.code) == str(entry["code"]).lower())
            .where(col(Join.at) >= (nurture.started_at or now))
        )
        found = list(await session.exec(query))
    else:
        query = select(Registration.member_id).where(
            Registration.event_id == int(entry.get("event", 0)),
            Registration.status == RegistrationStatus.REGISTERED,
        )
        found = list(await session.exec(query))
    enrolled = set(
        await session.exec(select(Enrollment.member_id).where(Enrollment.nurture_id == nurture.id))
    )
    return sorted({m for m in found if m not in enrolled})


async def walking(session: AsyncSession, nurture_id: int) -> list[Enrollment]:
    query = select(Enrollment).where(
        Enrollment.nurture_id == nurture_id, Enrollment.state == EnrollmentState.ACTIVE
    )
    return list(await session.exec(query.order_by(col(Enrollment.id))))


async def signals(
    session: AsyncSession, member_id: int, step: NurtureStep, since: datetime
) -> set[str]:
    """What the member did with the step's subject since it went out; `left` when they
    applied or said Not for me (they leave the sequence)."""
    found: set[str] = set()
    if step.kind == "content":
        subjects = [
            step.subject_id,
            *([step.followup_content_id] if step.followup_content_id else []),
        ]
        kinds = await session.exec(
            select(Interaction.kind).where(
                Interaction.member_id == member_id,
                Interaction.subject_type == "content",
                col(Interaction.subject_id).in_(subjects),
                col(Interaction.at) >= since,
            )
        )
        found |= {k for k in kinds if k in ("opened", "finished")}
        if "finished" in found:
            found.add("opened")
    elif step.kind == "poll":
        voted = select(Vote.id).where(Vote.member_id == member_id, Vote.poll_id == step.subject_id)
        if (await session.exec(voted)).first() is not None:
            found |= {"voted", "opened"}
    elif step.kind == "event":
        row = (
            await session.exec(
                select(Registration).where(
                    Registration.member_id == member_id,
                    Registration.event_id == step.subject_id,
                )
            )
        ).first()
        if row is not None and row.status == RegistrationStatus.REGISTERED:
            found |= {"registered", "opened"}
        if row is not None and row.attended_at is not None:
            found.add("attended")
    return found | await _job_signals(session, member_id, step)


async def _job_signals(session: AsyncSession, member_id: int, step: NurtureStep) -> set[str]:
    """Any invitation in hand: applied or Not for me ends the sequence; for a job step, an
    answer is a signal of its own."""
    found: set[str] = set()
    for invitation in await session.exec(
        select(Invitation).where(Invitation.member_id == member_id)
    ):
        if invitation.applied_at is not None or invitation.status == InvitationStatus.NOT_FOR_ME:
            found.add("left")
        if step.kind == "job" and invitation.job_id == step.subject_id:
            if invitation.opened_at is not None:
                found.add("opened")
            if invitation.responded_at is not None or invitation.interested_at is not None:
                found.add("answered")
    return found


@dataclass
class StepSends:
    """What the outbox did with a step's messages."""

    sent: int = 0
    waiting: int = 0  # not yet sent (pending, claimed, sending, held, retrying)
    held: dict[str, int] = field(default_factory=dict)  # skipped or failed, by why


WAITING = (
    DeliveryState.PENDING,
    DeliveryState.CLAIMED,
    DeliveryState.SENDING,
    DeliveryState.HELD,
)


async def step_sends(session: AsyncSession, step_ids: Sequence[int]) -> dict[int, StepSends]:
    """Per step, its rows in the outbox by outcome (a capped member counts as held back,
    never as sent)."""
    if not step_ids:
        return {}
    step = col(Campaign.audience)["nurture_step"].as_integer()
    query = (
        select(step, col(Delivery.state), col(Delivery.reason), func.count())
        .join(Delivery, col(Delivery.campaign_id) == Campaign.id)
        .where(step.in_(step_ids))
        .group_by(step, col(Delivery.state), col(Delivery.reason))
    )
    found: dict[int, StepSends] = {}
    for step_id, state, reason, count in await session.exec(query):
        sends = found.setdefault(step_id, StepSends())
        if state == DeliveryState.SENT:
            sends.sent += count
        elif state in WAITING:
            sends.waiting += count
        else:
            why = state if state == DeliveryState.UNKNOWN else (reason or state)
            why = why.removeprefix("unreachable: ").split(":")[0]
            sends.held[why] = sends.held.get(why, 0) + count
    return found
