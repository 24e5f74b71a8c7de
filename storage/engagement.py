"""Engagement: who is warming up. A score from what each member did recently, weighted by how
much it asks of them and fading with time, kept on the member once a day so segments and
lists read a column; levels are ranges of it (like Orbit's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select, union_all, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Entry, Interaction, Invitation, Member, Registration, Vote

POINTS = {"read": 1, "finished": 2, "voted": 2, "registered": 3, "entered": 4}
POINTS |= {"attended": 5, "applied": 8}
DORMANT = "dormant"


def level(score: int, levels: Mapping[str, int]) -> str:
    """The highest level whose threshold the score reaches, or dormant."""
    reached = [(at, name) for name, at in levels.items() if score >= at]
    return max(reached)[1] if reached else DORMANT


def score_range(name: str, levels: Mapping[str, int]) -> tuple[int, int | None] | None:
    """The scores of a level, [low, high); None for a name that is no level."""
    if name == DORMANT:
        return (-(2**31), min(levels.values(), default=1))
    if name not in levels:
        return None
    above = [at for at in levels.values() if at > levels[name]]
    return (levels[name], min(above) if above else None)


def _facts(since: datetime) -> Any:
    """(member, points, when) for everything that counts, from the tables that hold it."""
    content = Interaction.__table__.c  # type: ignore[attr-defined]
    read = case((content.kind == "finished", POINTS["finished"]), else_=POINTS["read"])
    parts = [
        select(content.member_id, read, content.at).where(
            content.subject_type == "content",
            content.kind.in_(("opened", "finished")),
            content.member_id.is_not(None),
            content.at >= since,
        ),
        _stamped(Vote, "at", "voted", since),
        _stamped(Registration, "registered_at", "registered", since),
        _stamped(Registration, "attended_at", "attended", since),
        _stamped(Entry, "registered_at", "entered", since),
        _stamped(Invitation, "applied_at", "applied", since),
    ]
    return union_all(*parts).subquery()


def _stamped(model: Any, stamp: str, kind: str, since: datetime) -> Any:
    c = model.__table__.c
    return select(c.member_id, literal(POINTS[kind]), c[stamp]).where(c[stamp] >= since)


async def refresh(session: AsyncSession, now: datetime, window_days: int) -> int:
    """Score every member again; how many have a score above nothing."""
    facts = _facts(now - timedelta(days=window_days))
    member, points, at = facts.c
    fading = case((at >= now - timedelta(days=7), 4), (at >= now - timedelta(days=30), 2), else_=1)
    scores = (
        await session.exec(  # type: ignore[call-overload]
            select(member, func.sum(points * fading)).group_by(member)
        )
    ).all()
    table = Member.__table__  # type: ignore[attr-defined]
    conn = await session.connection()
    await conn.execute(update(table).where(table.c.engagement != 0).values(engagement=0))
    if scores:
        await conn.execute(
            update(table).where(table.c.id == bindparam("m")).values(engagement=bindparam("s")),
            [{"m": m, "s": int(total) // 4} for m, total in scores],
        )
    return sum(1 for _, total in scores if int(total) // 4 > 0)
