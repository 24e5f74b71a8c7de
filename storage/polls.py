"""Polls: one question asked on every platform, one vote per member however many accounts
they link, one result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import PlatformPost, Poll, PollOption, Vote

MIN_OPTIONS, MAX_OPTIONS = 2, 10


def clean_options(text: str) -> list[str]:
    """One option a line (or separated by |), blanks and repeats dropped; 2 to 10 of them."""
    lines = text.replace("|", "\n").splitlines()
    options = list(dict.fromkeys(line.strip()[:100] for line in lines if line.strip()))
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise ValueError(
            f"a poll needs {MIN_OPTIONS} to {MAX_OPTIONS} options, one a line; "
            f"this one has {len(options)}"
        )
    return options


async def options_of(session: AsyncSession, poll_id: int) -> list[PollOption]:
    return list(
        await session.exec(
            select(PollOption)
            .where(PollOption.poll_id == poll_id)
            .order_by(col(PollOption.position))
        )
    )


async def by_native_id(session: AsyncSession, platform: str, native_id: str) -> Poll | None:
    """The poll a platform's own poll (its id as the platform reports votes) stands for."""
    post = (
        await session.exec(
            select(PlatformPost.subject_id).where(
                PlatformPost.subject_type == "poll",
                PlatformPost.platform == platform,
                PlatformPost.native_id == native_id,
            )
        )
    ).first()
    return await session.get(Poll, post) if post is not None else None


async def vote(
    session: AsyncSession,
    poll: Poll,
    member_id: int,
    positions: tuple[int, ...],
    *,
    change: str,
    platform: str,
    now: datetime,
) -> list[int]:
    """Apply a member's answer; their chosen positions afterwards. `set` replaces the answer
    (a retraction is an empty set), `add` and `remove` change one option, and `toggle` (a
    button) adds an option or takes it back. A single-choice poll keeps one option."""
    options = {o.position: o.id for o in await options_of(session, poll.id or 0)}
    voted = set(
        await session.exec(
            select(Vote.option_id).where(Vote.poll_id == poll.id, Vote.member_id == member_id)
        )
    )
    current = {position for position, option_id in options.items() if option_id in voted}
    given = {p for p in positions if p in options}
    if change == "set":
        chosen = given
    elif change == "add":
        chosen = (current | given) if poll.multiple else given
    elif change == "remove":
        chosen = current - given
    else:  # toggle
        chosen = (current ^ given) if poll.multiple else (set() if given == current else given)
    await session.exec(
        delete(Vote).where(col(Vote.poll_id) == poll.id, col(Vote.member_id) == member_id)
    )
    for position in sorted(chosen):
        session.add(
            Vote(
                poll_id=poll.id or 0,
                option_id=options[position] or 0,
                member_id=member_id,
                platform=platform,
                at=now,
            )
        )
    await session.flush()
    return sorted(chosen)


@dataclass(frozen=True)
class Tally:
    options: tuple[tuple[str, int], ...]  # (text, votes), in order
    voters: int
    by_platform: tuple[tuple[str, int], ...]  # voters per platform, most first


async def tally(session: AsyncSession, poll_id: int) -> Tally:
    """Counted in the database: votes per option, voters, and voters per platform."""
    options = await options_of(session, poll_id)
    mine = Vote.poll_id == poll_id
    counted = select(Vote.option_id, func.count()).where(mine).group_by(col(Vote.option_id))
    counts = {option: n for option, n in await session.exec(counted)}
    per_member = func.count(distinct(col(Vote.member_id)))
    voters = (await session.exec(select(per_member).where(mine))).one()
    platforms = await session.exec(
        select(Vote.platform, per_member)
        .where(mine)
        .group_by(col(Vote.platform))
        .order_by(per_member.desc(), col(Vote.platform))
    )
    return Tally(
        options=tuple((o.text, counts.get(o.id or 0, 0)) for o in options),
        voters=voters,
        by_platform=tuple((platform, n) for platform, n in platforms),
    )


async def polls_since(session: AsyncSession, since: datetime) -> list[Poll]:
    query = select(Poll).where(col(Poll.created_at) >= since).order_by(col(Poll.id))
    return list(await session.exec(query))


async def latest_polls(session: AsyncSession, limit: int = 20) -> list[Poll]:
    return list(await session.exec(select(Poll).order_by(col(Poll.id).desc()).limit(limit)))
