"""Survey answers summarised: one place for the averages that events and surveys report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Campaign,
    CommunityEvent,
    Delivery,
    Interaction,
    Survey,
    SurveyResponse,
)
from storage.models.states import DeliveryState, Fact


@dataclass(frozen=True)
class Answers:
    count: int
    satisfaction: float | None  # mean, 1-5
    recommend: float | None  # mean, 0-10
    comments: int


async def summary(session: AsyncSession, survey_id: int | None) -> Answers:
    """Counted and averaged in the database: a survey of a large community is never loaded."""
    if survey_id is None:
        return Answers(count=0, satisfaction=None, recommend=None, comments=0)
    scores = col(SurveyResponse.scores)
    count, satisfaction, recommend, comments = (
        await session.exec(
            select(
                func.count(),
                func.avg(scores["satisfaction"].as_float()),
                func.avg(scores["recommend"].as_float()),
                func.count(case((col(SurveyResponse.comment) != "", 1))),
            ).where(SurveyResponse.survey_id == survey_id)
        )
    ).one()
    return Answers(
        count=count,
        satisfaction=float(satisfaction) if satisfaction is not None else None,
        recommend=float(recommend) if recommend is not None else None,
        comments=comments,
    )


async def reached(session: AsyncSession, survey_id: int) -> int:
    """Members the survey was delivered to: on its own, or after the event it belongs to."""
    event = (
        await session.exec(select(CommunityEvent.id).where(CommunityEvent.survey_id == survey_id))
    ).first()
    sent_in = or_(
        and_(col(Campaign.kind) == "survey", col(Campaign.subject_id) == survey_id),
        and_(col(Campaign.kind) == "event_survey", col(Campaign.subject_id) == event),
    )
    return (
        await session.exec(
            select(func.count())
            .select_from(Delivery)
            .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
            .where(
                Delivery.state == DeliveryState.SENT, col(Delivery.member_id).is_not(None), sent_in
            )
        )
    ).one()


async def surveys_since(session: AsyncSession, since: datetime) -> list[Survey]:
    query = select(Survey).where(col(Survey.created_at) >= since).order_by(col(Survey.id))
    return list(await session.exec(query))


async def unanswered_opened(session: AsyncSession, member_id: int) -> int | None:
    """The survey the member opened last and has not answered yet."""
    opened = await session.exec(
        select(Interaction.subject_id)
        .where(
            Interaction.member_id == member_id,
            Interaction.kind == Fact.OPENED,
            Interaction.subject_type == "survey",
        )
        .order_by(col(Interaction.id).desc())
    )
    for candidate in opened:
        if not await has_answered(session, candidate, member_id):
            return candidate
    return None


async def has_answered(session: AsyncSession, survey_id: int, member_id: int) -> bool:
    query = select(SurveyResponse.id).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.member_id == member_id
    )
    return (await session.exec(query)).first() is not None
