"""A campaign to many Telegram members, ready to deliver: shared by the crash test and the
fan-out benchmark."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.db import Database
from storage.members import ConsentKind, MemberFilter, create_member, set_consent
from storage.models import Campaign, ContentItem, TitleVariant
from storage.outbox import Recipients, enqueue
from tests.emulators.telegram import TelegramEmulator, TelegramUser, add_user


async def telegram_campaign(
    db: Database, tg: TelegramEmulator, count: int, now: datetime
) -> list[TelegramUser]:
    """`count` onboarded, consenting members who started the bot, and one campaign's rows."""
    users = [add_user(tg, f"Member{i}") for i in range(count)]
    async with db.session() as session:
        for user in users:
            user.account.started = True
            member, _ = await create_member(
                session,
                platform="telegram",
                platform_user_id=str(user.id),
                name=user.account.first_name,
                handle=None,
                now=now,
            )
            member.onboarded_at = now
            await set_consent(
                session,
                member.id or 0,
                ConsentKind.NEWS,
                True,
                wording_version="1",
                platform="telegram",
                now=now,
            )
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
            Recipients(members=MemberFilter()),
            now=now,
            cap=10**6,
            cap_window=timedelta(days=7),
        )
        await session.commit()
    return users
