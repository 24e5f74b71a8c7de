"""Members, the platform accounts they chat from, and what they agreed to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class Member(SQLModel, table=True):
    """One person, however many platforms they use. Personal fields are exactly what onboarding
    asks; erasure nulls them and keeps the row so anonymous counts still add up."""

    # Members by source read this index alone (erased members skipped inside it).
    __table_args__ = (Index("ix_member_source", "first_source", "erased_at", "last_active_at"),)

    id: int | None = Field(default=None, primary_key=True)
    display_name: str | None = None
    function: str | None = Field(default=None, index=True)
    seniority: str | None = Field(default=None, index=True)
    location: str | None = None
    interests: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    privacy_notice_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    privacy_version: str | None = None  # of the notice they were shown or last agreed to
    joined_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_source: str | None = None  # of the first touch (member_join), for reports by source
    # The current answer per consent kind, kept by `storage.members.set_consent` (the consent
    # table is the log): segments test a column instead of finding each member's latest row.
    consent_news: bool = False
    consent_jobs: bool = False
    # the account campaigns reach them on (`/link here`), else the one they used last; an
    # identity's id without a foreign key (member and identity would point at each other)
    preferred_identity_id: int | None = None
    engagement: int = 0  # recent activity weighted by kind, kept daily (storage.engagement)
    onboarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_active_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    last_contact_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Identity(SQLModel, table=True):
    """A member's account on one platform. `deliverable` turns false when the platform says the
    member blocked the bot or closed DMs, so nobody is retried forever."""

    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    platform: str
    platform_user_id: str
    handle: str | None = None
    display_name: str | None = None
    dm_chat_id: str | None = None
    deliverable: bool = True
    undeliverable_reason: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the platform's roles as its last event said (a Discord role, a Slack user group): what
    # the dashboard checks `[roles]` against on every request
    platform_roles: list[str] = Field(default_factory=list, sa_type=JSON)


class Consent(SQLModel, table=True):
    """Append-only history: each answer with the wording the member saw and when. The newest
    row per (member, kind) is also kept on the member (`consent_news`, `consent_jobs`)."""

    # a member's answers of one kind in order, for the consent sweep and erasure
    __table_args__ = (Index("ix_consent_latest", "member_id", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str  # ConsentKind
    granted: bool
    wording_version: str
    platform: str
    at: datetime = Field(sa_type=UTCDateTime)


class Label(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("member_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    name: str = Field(index=True)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class LinkCode(SQLModel, table=True):
    """A one-time code that links a second platform account to the same member."""

    __tablename__ = "link_code"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    code: str = Field(unique=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A dashboard sign-in: a one-time link DM'd from chat (`link`), then the browser's session
    (`session`). Only a hash of each token is kept; either can be revoked."""

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str  # link | session
    csrf: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MemberNote(SQLModel, table=True):
    """HR's note on a member, erased with them."""

    __tablename__ = "member_note"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    author_member_id: int | None = Field(default=None, foreign_key="member.id")
    text: str
    at: datetime = Field(sa_type=UTCDateTime)


class FormProgress(SQLModel, table=True):
    """A form answered in parts (a conversation where the platform has no modals, or modals
    in turn when it is longer than one): kept in the database, so whichever Roost process
    receives the next answer carries on, and erased with the member."""

    __tablename__ = "form_progress"

    platform: str = Field(primary_key=True)
    platform_user_id: str = Field(primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str  # conversation | sequence
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)
