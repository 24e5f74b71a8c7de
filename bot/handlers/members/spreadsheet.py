"""A segment of members as a spreadsheet, the same from chat and from the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from storage.engagement import level
from storage.models import Member
from storage.spreadsheet import cell

CSV_COLUMNS = (
    *("member", "name", "function", "seniority", "location", "source", "platforms"),
    *("engagement", "level", "last_active", "last_contacted"),
)


def csv_row(m: Member, platforms: list[str], levels: Mapping[str, int]) -> tuple[object, ...]:
    """A member as a segment's CSV shows them (`CSV_COLUMNS`)."""
    return tuple(
        cell(value)
        for value in (
            m.id, m.display_name, m.function, m.seniority, m.location, m.first_source,
            " ".join(platforms), m.engagement, level(m.engagement, levels),
            _iso(m.last_active_at), _iso(m.last_contact_at),
        )
    )  # fmt: skip


def _iso(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else ""
