"""Dashboard sign-ins: a one-time link made in chat becomes a browser session; only hashes of
the tokens are kept, and the holder's role is read again from their accounts each time."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Campaign, Identity, Join, Member, WebSession
from storage.models.states import CampaignStatus


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_link(session: AsyncSession, member_id: int, now: datetime, ttl: timedelta) -> str:
    """A sign-in link's token, good once until `ttl` has passed."""
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_hash(token), member_id=member_id, kind="link", created_at=now,
            expires_at=now + ttl,
        )
    )  # fmt: skip
    return token


async def sign_in(
    session: AsyncSession, token: str, now: datetime, ttl: timedelta
) -> tuple[str, WebSession] | None:
    """The link used up, and a new session's token with its row; None for a link that is
    unknown, used, revoked or expired."""
    link = await session.get(WebSession, _hash(token[:200]))
    if link is None or link.kind != "link" or link.used_at or link.revoked_at:
        return None
    if link.expires_at <= now:
        return None
    link.used_at = now
    fresh = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_hash(fresh), member_id=link.member_id, kind="session",
        csrf=secrets.token_urlsafe(24), created_at=now, expires_at=now + ttl,
    )  # fmt: skip
    session.add(row)
    return fresh, row


async def current(
    session: AsyncSession, token: str | None, now: datetime
) -> tuple[WebSession, Member, list[Identity]] | None:
    """The live session `token` names, its member and their accounts; None otherwise."""
    if not token:
        return None
    row = await session.get(WebSession, _hash(token[:200]))
    if row is None or row.kind != "session" or row.revoked_at or row.expires_at <= now:
        return None
    member = await session.get(Member, row.member_id)
    if member is None or member.erased_at is not None:
        return None
    accounts = list(await session.exec(select(Identity).where(Identity.member_id == member.id)))
    return row, member, accounts


async def revoke(session: AsyncSession, member_id: int, now: datetime) -> None:
    """Every live session and link of the member ends now."""
    await session.exec(
        update(WebSession)
        .where(col(WebSession.member_id) == member_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def weekly(
    session: AsyncSession, now: datetime, weeks: int = 8
) -> list[tuple[datetime, int, int]]:
    """(week's start, members who joined, members who left) for the last `weeks` weeks (each
    from just after its start up to and including its end), the newest first."""
    found = []
    for back in range(weeks):
        end = now - timedelta(days=7 * back)
        start = end - timedelta(days=7)
        joined = select(func.count()).where(
            col(Join.first_touch).is_(True), col(Join.at) > start, col(Join.at) <= end
        )
        left = select(func.count()).where(col(Member.left_at) > start, col(Member.left_at) <= end)
        found.append((start, (await session.exec(joined)).one(), (await session.exec(left)).one()))
    return found


async def active_since(session: AsyncSession, since: datetime) -> int:
    query = select(func.count()).where(
        col(Member.last_active_at) >= since, col(Member.erased_at).is_(None)
    )
    return (await session.exec(query)).one()


async def scheduled(session: AsyncSession) -> list[Campaign]:
    """What is scheduled to go out, the soonest first (recurring ones last)."""
    query = select(Campaign).where(Campaign.status == CampaignStatus.SCHEDULED)
    found = list(await session.exec(query))
    return sorted(found, key=lambda c: (c.scheduled_at is None, str(c.scheduled_at), c.id))


async def members_by_platform(session: AsyncSession) -> list[tuple[str, int]]:
    """Current members (not erased, not gone) on each platform, the most first."""
    count = func.count(func.distinct(Identity.member_id))
    query = (
        select(Identity.platform, count)
        .join(Member, col(Member.id) == Identity.member_id)
        .where(col(Member.erased_at).is_(None), col(Member.left_at).is_(None))
        .group_by(col(Identity.platform))
        .order_by(count.desc(), col(Identity.platform))
    )
    return [(platform, int(n)) for platform, n in await session.exec(query)]
