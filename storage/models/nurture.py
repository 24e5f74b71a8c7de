"""Nurture: sequences of steps each member walks at their own pace, branching on what they do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.states import EnrollmentState, NurtureStatus
from storage.types import UTCDateTime


class Nurture(SQLModel, table=True):
    """A sequence HR defined: how members enter it (`entry`: a segment, an invite code, an
    event's registrants) and whether it runs (draft, active, paused, cancelled)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    status: str = NurtureStatus.DRAFT
    entry: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class NurtureStep(SQLModel, table=True):
    """One step: what is sent (content, poll, event, job) `wait_hours` after the step before,
    its branches (`goto`: a signal to a step's position), its content rules, and its numbers."""

    __tablename__ = "nurture_step"
    __table_args__ = (UniqueConstraint("nurture_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    nurture_id: int = Field(foreign_key="nurture.id")
    position: int
    kind: str  # content | poll | event | job
    subject_id: int
    wait_hours: int = 0
    unopened_days: int | None = None  # not opened by then: the same item, another title
    partial_days: int | None = None  # opened, not finished by then: the follow-up
    followup_content_id: int | None = Field(default=None, foreign_key="content_item.id")
    goto: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # signal → position
    entered: int = 0
    opened: int = 0
    moved_on: int = 0
    left: int = 0


class Enrollment(SQLModel, table=True):
    """A member in a sequence: at which step, since when, and how it ended."""

    __table_args__ = (
        UniqueConstraint("nurture_id", "member_id"),
        Index("ix_enrollment_due", "state", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    nurture_id: int = Field(foreign_key="nurture.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    position: int = 0
    state: str = EnrollmentState.ACTIVE
    due_at: datetime = Field(sa_type=UTCDateTime)  # when the step at `position` goes out
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: not yet
    opened: bool = False
    retitled: bool = False
    followed_up: bool = False
    reason: str | None = None  # why they left
    entered_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
