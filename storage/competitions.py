"""Competitions: entries that can be resubmitted until the deadline, judges' scores per
criterion, and the leaderboard they make."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Competition, Entry, Judge, Score

MAX_POINTS = 10


async def entry_of(session: AsyncSession, competition_id: int, member_id: int) -> Entry | None:
    return (
        await session.exec(
            select(Entry).where(
                Entry.competition_id == competition_id, Entry.member_id == member_id
            )
        )
    ).first()


async def is_judge(session: AsyncSession, competition_id: int, member_id: int) -> bool:
    found = await session.exec(
        select(Judge.id).where(Judge.competition_id == competition_id, Judge.member_id == member_id)
    )
    return found.first() is not None


def parse_scores(text: str, criteria: list[str]) -> dict[str, int]:
    """`correctness=8 clarity=7` → points per criterion, each 0 to 10, every criterion given."""
    given: dict[str, int] = {}
    for token in text.split():
        name, sep, value = token.partition("=")
        if not sep or name.lower() not in criteria:
            raise ValueError(f"score each criterion as name=points: {', '.join(criteria)}")
        if not value.isdigit() or not 0 <= int(value) <= MAX_POINTS:
            raise ValueError(f"points are whole numbers from 0 to {MAX_POINTS}")
        given[name.lower()] = int(value)
    missing = [c for c in criteria if c not in given]
    if missing:
        raise ValueError(f"missing a score for {', '.join(missing)}")
    return given


async def score(session: AsyncSession, entry: Entry, judge_id: int, points: dict[str, int]) -> None:
    """A judge's scores for an entry; scoring again replaces them."""
    existing = {
        s.criterion: s
        for s in await session.exec(
            select(Score).where(Score.entry_id == entry.id, Score.judge_member_id == judge_id)
        )
    }
    for criterion, value in points.items():
        if criterion in existing:
            existing[criterion].value = value
        else:
            session.add(
                Score(
                    entry_id=entry.id or 0,
                    judge_member_id=judge_id,
                    criterion=criterion,
                    value=value,
                )
            )
    await session.flush()


@dataclass(frozen=True)
class Standing:
    entry_id: int
    member_id: int
    points: float  # the judges' average of their summed criteria
    judges: int


async def leaderboard(session: AsyncSession, competition_id: int) -> list[Standing]:
    """Submitted entries, best first; an entry no judge scored yet comes last."""
    entries = list(
        await session.exec(
            select(Entry)
            .where(Entry.competition_id == competition_id, col(Entry.submitted_at).is_not(None))
            .order_by(col(Entry.submitted_at))
        )
    )
    totals: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    ids = [e.id for e in entries]
    for entry_id, judge, value in await session.exec(
        select(Score.entry_id, Score.judge_member_id, Score.value).where(
            col(Score.entry_id).in_(ids)
        )
    ):
        totals[entry_id][judge] += value
    standings = [
        Standing(
            entry_id=e.id or 0,
            member_id=e.member_id,
            points=sum(totals[e.id or 0].values()) / len(totals[e.id or 0])
            if totals[e.id or 0]
            else 0.0,
            judges=len(totals[e.id or 0]),
        )
        for e in entries
    ]
    return sorted(standings, key=lambda s: (-(s.judges > 0), -s.points))


async def entries_of(session: AsyncSession, member_id: int) -> list[tuple[Entry, Competition]]:
    """A member's entries with their competitions, the latest registration first."""
    query = (
        select(Entry, Competition)
        .join(Competition, col(Competition.id) == Entry.competition_id)
        .where(Entry.member_id == member_id)
        .order_by(col(Entry.registered_at).desc())
    )
    return [(entry, competition) for entry, competition in await session.exec(query)]


async def submitted_entries(session: AsyncSession, competition_id: int) -> list[Entry]:
    query = (
        select(Entry)
        .where(Entry.competition_id == competition_id, col(Entry.submitted_at).is_not(None))
        .order_by(col(Entry.id))
    )
    return list(await session.exec(query))


async def latest_competitions(session: AsyncSession, limit: int = 10) -> list[Competition]:
    """The newest competitions, oldest of them first."""
    query = select(Competition).order_by(col(Competition.id).desc()).limit(limit)
    return list(reversed(list(await session.exec(query))))
