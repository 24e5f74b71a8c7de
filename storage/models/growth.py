"""Where members come from: source-tagged invite codes, joins and employee referrals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.states import ReferralStatus
from storage.types import UTCDateTime


class InviteCode(SQLModel, table=True):
    """A code HR (or an employee, for referrals) hands out; `platform_links` keeps each
    platform's native way in (a Telegram invite link, a Discord invite code)."""

    __tablename__ = "invite_code"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    source: str = Field(index=True)  # Source
    campaign: str | None = None
    referrer_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    created_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    max_uses: int | None = None
    uses: int = 0
    visits: int = 0
    platform_links: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Join(SQLModel, table=True):
    """A member arriving, with the code and source that brought them. The first row per member
    is the first touch; later codes are kept as secondary touches."""

    __tablename__ = "member_join"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    invite_code_id: int | None = Field(default=None, foreign_key="invite_code.id", index=True)
    source: str = Field(index=True)
    platform: str
    first_touch: bool = True
    at: datetime = Field(sa_type=UTCDateTime)


class PlatformInvite(SQLModel, table=True):
    """A platform's own way in for a code (a Telegram group link, a Discord invite), indexed by
    the reference the platform reports back when someone comes through it."""

    __tablename__ = "platform_invite"
    __table_args__ = (UniqueConstraint("platform", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    invite_code_id: int = Field(foreign_key="invite_code.id", index=True)
    platform: str
    kind: str  # group_link | invite | deep_link | command
    ref: str  # what the platform reports: the link's last path part
    url: str


class CodeAttempt(SQLModel, table=True):
    """One try at redeeming a code: only who and when (never what was typed), for the
    brute-force guard."""

    __tablename__ = "code_attempt"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)


class Referral(SQLModel, table=True):
    """An employee's code brought someone in; it qualifies once they onboarded and came back
    after the configured number of days."""

    id: int | None = Field(default=None, primary_key=True)
    referrer_member_id: int = Field(foreign_key="member.id", index=True)
    referred_member_id: int = Field(foreign_key="member.id", unique=True)
    invite_code_id: int = Field(foreign_key="invite_code.id")
    status: str = ReferralStatus.PENDING
    flagged: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)
    qualified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
