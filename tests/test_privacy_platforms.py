"""The privacy sweep on each platform, through the real libraries: a member is asked to renew
and keeps their choices with Keep me while another's lapse; after Roost restarts with a new
privacy notice, it is agreed to with Keep me; a member who stays away is warned, then erased,
accounts and all. Time is the injected clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from storage.db import Database
from storage.members import ConsentKind, consents
from storage.models import Identity, Member
from tests.emulators.discord import DiscordEmulator
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.test_discord import onboard as discord_onboard
from tests.test_privacy_sweep import NOTICE, YEAR
from tests.test_slack import ANSWERS
from tests.test_telegram import onboard as telegram_onboard

RENEW, WARN = "Shall we stay in touch?", "We'll erase your data soon"
NEW_NOTICE = {"onboarding": {"privacy_version": "2027-01"}}


async def state(db: Database, user_id: str) -> tuple[Member, dict[ConsentKind, bool]]:
    async with db.session() as session:
        query = select(Member).join(Identity).where(Identity.platform_user_id == user_id)
        member = (await session.exec(query)).one()
        return member, await consents(session, member.id or 0)


async def erased(db: Database, member_id: int) -> bool:
    async with db.session() as session:
        member = await session.get(Member, member_id)
        query = select(Identity).where(Identity.member_id == member_id)
        return (
            member is not None
            and member.erased_at is not None
            and not (await session.exec(query)).all()
        )


async def sweep(app: App) -> None:
    await app.campaigns.run_duty("privacy")


async def test_on_telegram(sqlite_db: Database, clock: ManualClock) -> None:
    tg = TelegramEmulator()
    await tg.start()
    try:
        async with roost_on_telegram(sqlite_db, clock, emulator=tg) as roost:
            ana, ben = roost.user("Ana"), roost.user("Ben")
            await telegram_onboard(roost, ana)
            await telegram_onboard(roost, ben)
            clock.advance(YEAR - NOTICE + timedelta(days=1))
            await sweep(roost.app)
            await wait_for(tg, lambda: RENEW in ana.text() and RENEW in ben.text())
            renewal = ana.last(with_buttons=True)
            assert renewal["reply_markup"]["inline_keyboard"][0][0]["text"] == "Keep me"
            await roost.act(ana.press("Keep me", renewal))
            assert "Your choices now hold until" in ana.text()
            clock.advance(NOTICE)  # a year since they chose: ana renewed, ben did not answer
            await sweep(roost.app)
            assert all((await state(sqlite_db, str(ana.id)))[1].values())
            assert not any((await state(sqlite_db, str(ben.id)))[1].values())
        async with roost_on_telegram(sqlite_db, clock, emulator=tg, sections=NEW_NOTICE) as roost:
            await sweep(roost.app)  # the notice changed: everyone is asked once
            await wait_for(tg, lambda: "version 2027-01" in ana.text())
            await roost.act(ana.press("Keep me", ana.last(with_buttons=True)))
            assert (await state(sqlite_db, str(ana.id)))[0].privacy_version == "2027-01"
            gone, _ = await state(sqlite_db, str(ben.id))
            kept, _ = await state(sqlite_db, str(ana.id))
            clock.advance(2 * YEAR + timedelta(days=2))  # neither comes back
            await sweep(roost.app)
            # ben's choices lapsed, but he never said no: he is warned all the same
            await wait_for(tg, lambda: WARN in ana.text() and WARN in ben.text())
            assert not await erased(sqlite_db, gone.id or 0)
            clock.advance(NOTICE)
            await sweep(roost.app)
    finally:
        await tg.stop()
    assert await erased(sqlite_db, kept.id or 0)  # warned, and still away
    assert await erased(sqlite_db, gone.id or 0)


async def renew_then_keep(
    roost: Any, emulator: Any, db: Database, clock: ManualClock, ana: Any, ben: Any
) -> None:
    """Nearly a year on, both are asked to renew; ana keeps her choices."""
    clock.advance(YEAR - NOTICE + timedelta(days=1))
    await sweep(roost.app)
    await emulator.wait_for(lambda: RENEW in ana.text() and RENEW in ben.text())
    assert "Your choices now hold until" in await roost.press(ana, "Keep me")
    assert (await state(db, ana.id))[1][ConsentKind.NEWS] is True


async def agree_then_purge(
    roost: Any, emulator: Any, db: Database, clock: ManualClock, ana: Any, ben: Any
) -> Member:
    """Restarted with a new notice, ana agrees to it; ben, away two years, is warned and then
    erased. Ben's member row, as it was before."""
    await sweep(roost.app)
    await emulator.wait_for(lambda: "version 2027-01" in ana.text())
    assert "Your choices now hold until" in await roost.press(ana, "Keep me")
    assert (await state(db, ana.id))[0].privacy_version == "2027-01"
    clock.advance(2 * YEAR)
    await sweep(roost.app)
    await emulator.wait_for(lambda: WARN in ben.text())
    clock.advance(NOTICE)
    gone, _ = await state(db, ben.id)
    await sweep(roost.app)
    return gone


async def test_on_slack(sqlite_db: Database, clock: ManualClock) -> None:
    slack = SlackEmulator()
    await slack.start()
    try:
        async with roost_on_slack(sqlite_db, clock, emulator=slack) as roost:
            ana, ben = roost.user("Ana"), roost.user("Ben")
            for member in (ana, ben):
                await roost.run(member, "join")
                await roost.act(member.submit(ANSWERS))
            await renew_then_keep(roost, slack, sqlite_db, clock, ana, ben)
        async with roost_on_slack(sqlite_db, clock, emulator=slack, sections=NEW_NOTICE) as roost:
            gone = await agree_then_purge(roost, slack, sqlite_db, clock, ana, ben)
    finally:
        await slack.stop()
    assert await erased(sqlite_db, gone.id or 0)


async def test_on_discord(sqlite_db: Database, clock: ManualClock) -> None:
    discord = DiscordEmulator()
    await discord.start()
    try:
        async with roost_on_discord(sqlite_db, clock, discord) as roost:
            ana, ben = await roost.member("Ana"), await roost.member("Ben")
            await discord_onboard(roost, ana)
            await discord_onboard(roost, ben)
            await renew_then_keep(roost, discord, sqlite_db, clock, ana, ben)
        async with roost_on_discord(sqlite_db, clock, discord, sections=NEW_NOTICE) as roost:
            gone = await agree_then_purge(roost, discord, sqlite_db, clock, ana, ben)
    finally:
        await discord.stop()
    assert await erased(sqlite_db, gone.id or 0)
