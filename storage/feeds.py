"""The feeds HR follows, the entries already seen, and the drafts new entries become."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ContentItem, Feed, FeedEntry, TitleVariant
from storage.models.states import ContentKind, ContentStatus


async def feeds(session: AsyncSession) -> list[Feed]:
    """The feeds followed now (a removed one keeps its row, for the drafts it made)."""
    query = select(Feed).where(col(Feed.removed_at).is_(None)).order_by(col(Feed.id))
    return list(await session.exec(query))


async def feed_at(session: AsyncSession, url: str) -> Feed | None:
    return (await session.exec(select(Feed).where(Feed.url == url))).first()


async def seen_keys(session: AsyncSession, feed_id: int) -> set[str]:
    return set(await session.exec(select(FeedEntry.key).where(FeedEntry.feed_id == feed_id)))


async def remember(session: AsyncSession, feed: Feed, keys: Sequence[str], now: datetime) -> None:
    """Entries seen and let be (those already there when the feed was added)."""
    session.add_all(FeedEntry(feed_id=feed.id or 0, key=k[:500], at=now) for k in keys)


async def draft(
    session: AsyncSession,
    feed: Feed,
    key: str,
    title: str,
    summary: str,
    link: str | None,
    now: datetime,
) -> ContentItem:
    """A new entry as industry news waiting for HR's review, with its source link."""
    item = ContentItem(
        kind=ContentKind.INDUSTRY_NEWS,
        body=summary or title,
        link_url=link,
        status=ContentStatus.PENDING_APPROVAL,
        created_at=now,
    )
    session.add(item)
    await session.flush()
    session.add(TitleVariant(content_id=item.id or 0, position=0, title=title[:150]))
    session.add(FeedEntry(feed_id=feed.id or 0, key=key[:500], content_id=item.id, at=now))
    return item
