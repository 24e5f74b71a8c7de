"""The daily duties' own record: when each last ran and how long it took."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class DutyRun(SQLModel, table=True):
    """A daily duty's last run: a due time after `finished_at` means a run was missed (Roost
    was stopped, or stopped during it), and it runs once when Roost is back."""

    __tablename__ = "duty_run"

    name: str = Field(primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seconds: float | None = None  # how long the last finished run took
