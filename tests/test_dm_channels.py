"""A member's DM channel is learnt from the first send and kept in the database, so later
campaigns, even after a restart, need no request to open it: on Slack that request is the
binding limit (50 `conversations.open` a minute), on Discord half of every first DM's cost."""

from __future__ import annotations

from sqlmodel import select

from bot.clock import ManualClock
from storage.db import Database
from storage.models import Identity
from tests.emulators.discord import DiscordEmulator
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import SlackEmulator, add_user
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import SlackRoost, roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.seed import campaign_to, news_campaign, telegram_campaign


async def kept_channel(db: Database, platform: str, user_id: str) -> str | None:
    async with db.session() as session:
        identity = (
            await session.exec(
                select(Identity).where(
                    Identity.platform == platform, Identity.platform_user_id == user_id
                )
            )
        ).one()
        return identity.dm_chat_id


async def news(roost: SlackRoost, db: Database, clock: ManualClock) -> None:
    """A campaign to every Slack member, delivered and recorded."""
    recorded = roost.app.worker.recorded
    await news_campaign(db, "slack", clock.now())
    roost.app.worker.wake()
    await roost.app.worker.wait_recorded(recorded + 1)


def opens(slack: SlackEmulator) -> int:
    return sum(c.method == "conversations.open" and c.status == 200 for c in slack.calls)


async def test_slack_opens_a_members_dm_once_even_across_a_restart(
    db: Database, clock: ManualClock
) -> None:
    slack = SlackEmulator()
    await slack.start()
    try:
        ana = add_user(slack, "Ana")
        await campaign_to(db, "slack", [ana.id], clock.now())
        async with roost_on_slack(db, clock, emulator=slack) as roost:
            await roost.app.worker.wait_recorded(1)
        assert await kept_channel(db, "slack", ana.id) == f"D{ana.id}"
        assert opens(slack) == 1
        async with roost_on_slack(db, clock, emulator=slack) as roost:  # its memory is empty
            await news(roost, db, clock)
        assert opens(slack) == 1
        assert sum(m["channel"] == f"D{ana.id}" for m in slack.messages) == 2
    finally:
        await slack.stop()


async def test_a_slack_dm_channel_that_is_gone_is_opened_again_and_kept(
    db: Database, clock: ManualClock
) -> None:
    async with roost_on_slack(db, clock) as roost:
        ana = add_user(roost.slack, "Ana")
        await campaign_to(db, "slack", [ana.id], clock.now())
        roost.app.worker.wake()
        await roost.app.worker.wait_recorded(1)
        async with db.session() as session:
            identity = (
                await session.exec(select(Identity).where(Identity.platform_user_id == ana.id))
            ).one()
            identity.dm_chat_id = "D0GONE"  # say the workspace was migrated
            session.add(identity)
            await session.commit()
        roost.adapter._dms.clear()  # and Roost restarted
        await news(roost, db, clock)
        assert sum(m["channel"] == f"D{ana.id}" for m in roost.slack.messages) == 2
        assert await kept_channel(db, "slack", ana.id) == f"D{ana.id}"


async def test_discord_opens_a_members_dm_once_even_across_a_restart(
    db: Database, clock: ManualClock
) -> None:
    emulator = DiscordEmulator()
    await emulator.start()
    try:
        ana = add_member(emulator, "Ana")
        dm = f"9{ana.id}"
        await campaign_to(db, "discord", [ana.id], clock.now())
        for delivered in (1, 2):
            async with roost_on_discord(db, clock, emulator) as roost:  # a new process each time
                if delivered == 2:
                    await news_campaign(db, "discord", clock.now())
                roost.app.worker.wake()
                await emulator.wait_for(lambda n=delivered: len(emulator.messages.get(dm, [])) >= n)
                await roost.app.worker.wait_recorded(1)
        assert await kept_channel(db, "discord", ana.id) == dm
        assert sum(r.operation == "create_dm" for r in emulator.requests) == 1
    finally:
        await emulator.stop()


async def test_telegram_keeps_nothing_its_dm_is_the_members_own_id(
    db: Database, clock: ManualClock
) -> None:
    async with roost_on_telegram(db, clock) as roost:
        (ana,) = await telegram_campaign(db, roost.tg, 1, clock.now())
        roost.app.worker.wake()
        await roost.app.worker.wait_recorded(1)
        assert len(ana.messages()) == 1
    assert await kept_channel(db, "telegram", str(ana.id)) is None
