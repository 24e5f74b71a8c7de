"""What HR did, to whom, and when. `detail` holds ids and settings, never a person's words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    actor_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    action: str
    target_member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    platform: str
    at: datetime = Field(sa_type=UTCDateTime)
