"""Jobs, invitations to apply, and what candidates answered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.states import InvitationStatus
from storage.types import UTCDateTime


class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str
    function: str = Field(index=True)
    seniority: str | None = None
    location: str | None = None
    apply_url: str
    closes_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # where an imported job came from (`greenhouse:123`, `lever:abc`); None when HR added it
    external_id: str | None = Field(default=None, unique=True)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """An invitation to apply and how far it got: invited → interested → applied → hired."""

    __table_args__ = (
        UniqueConstraint("job_id", "member_id"),
        Index("ix_invitation_source", "source", "member_id", "applied_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    source: str | None = None  # the member's first source when invited: funnels by source
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id")
    status: str = InvitationStatus.INVITED
    invited_at: datetime = Field(sa_type=UTCDateTime)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # any reaction at all
    clicked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the Apply link
    interested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    interviewing_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    hired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    came_back_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # Not now, later


class Feedback(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    reason: str  # salary | location | timing | role_fit | already_applied | other
    comment: str | None = None
    at: datetime = Field(sa_type=UTCDateTime)


class JobAlert(SQLModel, table=True):
    """A member asked to hear of new jobs: each criterion given must match (location as a part
    of the job's)."""

    __tablename__ = "job_alert"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    function: str | None = None
    seniority: str | None = None
    location: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
