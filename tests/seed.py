"""A campaign to many members, ready to deliver: shared by the crash test and the fan-out
benchmark. Members go in with bulk inserts, so thousands take a moment, not minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import col, select

from bot.app import App
from bot.kinds import Launch, Signal
from bot.scheduler.jobs import RUNNING
from storage.db import Database
from storage.members import MemberFilter
from storage.models import Campaign, Consent, ContentItem, Identity, Member, TitleVariant
from storage.outbox import Recipients, enqueue
from tests.emulators.telegram import TelegramEmulator, TelegramUser, add_user


async def campaign_to(db: Database, platform: str, user_ids: Sequence[str], now: datetime) -> int:
    """Onboarded members who consented to news, one per platform account, and a company-news
    campaign's rows to all of them; the campaign's id."""
    await members_on(db, platform, user_ids, now)
    return await news_campaign(db, platform, now)


async def members_on(
    db: Database, platform: str, user_ids: Sequence[str], now: datetime
) -> list[int]:
    """Onboarded members who consented to news, one per platform account; their ids."""
    async with db.session() as session:
        await session.exec(  # no RETURNING: SQLite would insert them one at a time
            insert(Member),
            params=[
                {"created_at": now, "onboarded_at": now, "consent_news": True} for _ in user_ids
            ],
        )
        newest = select(Member.id).order_by(col(Member.id).desc()).limit(len(user_ids))
        ids = sorted(id_ for id_ in (await session.exec(newest)).all() if id_ is not None)
        await session.exec(
            insert(Identity),
            params=[
                {
                    "member_id": i,
                    "platform": platform,
                    "platform_user_id": user,
                    "deliverable": True,
                    "created_at": now,
                }
                for i, user in zip(ids, user_ids, strict=True)
            ],
        )
        await session.exec(
            insert(Consent),
            params=[
                {
                    "member_id": i,
                    "kind": "news",
                    "granted": True,
                    "wording_version": "1",
                    "platform": platform,
                    "at": now,
                }
                for i in ids
            ],
        )
        await session.commit()
    return ids


async def news_campaign(db: Database, platform: str | None, now: datetime) -> int:
    """A company-news campaign's rows to every consenting member (on `platform`); its id."""
    async with db.session() as session:
        item = ContentItem(
            kind="company_news", body="News for everyone.", status="approved", created_at=now
        )
        session.add(item)
        await session.flush()
        session.add(TitleVariant(content_id=item.id or 0, position=0, title="News"))
        campaign = Campaign(
            kind="content",
            subject_type="content",
            subject_id=item.id or 0,
            status="sending",
            audience={"dm": True},
            created_at=now,
        )
        session.add(campaign)
        await session.flush()
        await enqueue(
            session,
            campaign.id or 0,
            Recipients(members=MemberFilter(platform=platform)),
            now=now,
            cap=10**6,
            cap_window=timedelta(days=7),
        )
        await session.commit()
        return campaign.id or 0


async def telegram_campaign(
    db: Database, tg: TelegramEmulator, count: int, now: datetime
) -> list[TelegramUser]:
    """`count` members who started the bot, and one campaign's rows to them."""
    users = [add_user(tg, f"Member{i}") for i in range(count)]
    for user in users:
        user.account.started = True
    await campaign_to(db, "telegram", [str(u.id) for u in users], now)
    return users


async def approved_content(db: Database, now: datetime, body: str, *titles: str) -> int:
    """A content item ready to go out, with its titles in order; its id."""
    async with db.session() as session:
        item = ContentItem(kind="company_news", body=body, status="approved", created_at=now)
        session.add(item)
        await session.flush()
        for i, title in enumerate(titles):
            session.add(TitleVariant(content_id=item.id or 0, position=i, title=title))
        await session.commit()
        return item.id or 0


async def launch(app: App, campaigns: Sequence[int | Signal]) -> list[int]:
    """Make the rows of these campaigns (ids, or the Launch signals a duty returned), as the
    scheduler's job does; their ids."""
    ids = [c.campaign_id if isinstance(c, Launch) else c for c in campaigns]
    token = RUNNING.set(app.scheduler)
    try:
        for campaign in ids:
            assert isinstance(campaign, int), campaign
            await app.scheduler.launch(campaign)
    finally:
        RUNNING.reset(token)
    return [c for c in ids if isinstance(c, int)]


async def deliver(app: App, campaigns: Sequence[int | Signal], sends: int) -> list[int]:
    """Launch them and wait until the running worker has recorded `sends` more outcomes."""
    before = app.worker.recorded
    ids = await launch(app, campaigns)
    app.worker.wake()
    await app.worker.wait_recorded(before + sends)
    return ids
