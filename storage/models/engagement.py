"""Polls, competitions, events and surveys: what makes members come back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.states import RegistrationStatus
from storage.types import UTCDateTime


class Poll(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    question: str
    multiple: bool = False
    anonymous: bool = True
    correct_position: int | None = None  # quiz polls
    explanation: str | None = None
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class PollOption(SQLModel, table=True):
    __tablename__ = "poll_option"

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    position: int
    text: str


class Vote(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("poll_id", "option_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(foreign_key="poll.id", index=True)
    option_id: int = Field(foreign_key="poll_option.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str
    at: datetime = Field(sa_type=UTCDateTime)


class Competition(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    rules: str
    prize: str | None = None
    criteria: list[str] = Field(default_factory=list, sa_type=JSON)
    registration_closes_at: datetime = Field(sa_type=UTCDateTime)
    submission_closes_at: datetime = Field(sa_type=UTCDateTime)
    announced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Judge(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("competition_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)


class Entry(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("competition_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    competition_id: int = Field(foreign_key="competition.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    link: str | None = None
    text: str | None = None
    registered_at: datetime = Field(sa_type=UTCDateTime)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Score(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("entry_id", "judge_member_id", "criterion"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="entry.id", index=True)
    judge_member_id: int = Field(foreign_key="member.id", index=True)
    criterion: str
    value: int


class CommunityEvent(SQLModel, table=True):
    """An info session, live broadcast, open day or other gathering members register for."""

    __tablename__ = "community_event"

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # EventKind
    title: str
    description: str = ""
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    timezone: str = "UTC"
    place: str | None = None
    stream_url: str | None = None
    tour_url: str | None = None
    capacity: int | None = None
    checkin_code_hash: str | None = None
    invite_code_id: int | None = Field(default=None, foreign_key="invite_code.id")
    survey_id: int | None = Field(default=None, foreign_key="survey.id")
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Registration(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="community_event.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    status: str = RegistrationStatus.REGISTERED
    registered_at: datetime = Field(sa_type=UTCDateTime)
    attended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checkin_attempts: int = 0


class Survey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    questions: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    __table_args__ = (UniqueConstraint("survey_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    scores: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    comment: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)
