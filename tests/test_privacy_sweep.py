"""Keeping people only while we may: consent lapses unless renewed, a new privacy notice is
agreed to, and a member inactive past the retention is warned, then erased; daily, by the
injected clock, on the console (tests/test_privacy_platforms.py: on each platform)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select as core_select
from sqlmodel import SQLModel, select

from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from storage.members import ConsentKind, consents
from storage.models import AuditEntry, Member
from tests.chat import Chat
from tests.test_membership import member_named

YEAR = timedelta(days=365)  # 12 months of 30.44 days
NOTICE = timedelta(days=14)


async def sweep(chat: Chat) -> None:
    """The day's privacy sweep, then the deliveries it made."""
    await chat.app.campaigns.run_duty("privacy")
    await chat.app.worker.drain()


async def choices(chat: Chat, handle: str) -> dict[ConsentKind, bool]:
    member = await member_named(chat, handle)
    async with chat.app.db.session() as session:
        return await consents(session, member.id or 0)


async def test_a_consent_lapses_unless_renewed_and_keep_me_renews_it(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("ana", news="yes", jobs="yes")
    await chat.onboard("ben", news="yes", jobs="no")
    await sweep(chat)
    assert "Shall we stay in touch?" not in chat.out.getvalue()  # nothing is due yet
    clock.advance(YEAR - NOTICE + timedelta(days=1))
    await sweep(chat)
    assert chat.out.getvalue().count("== Shall we stay in touch? ==") == 2
    seen = await chat.say("1", as_="ana")  # Keep me
    assert "Your choices now hold until 13 Nov 2028" in seen
    await sweep(chat)
    assert chat.out.getvalue().count("== Shall we stay in touch? ==") == 2  # asked once
    clock.advance(NOTICE)  # a year since ben chose: he never answered
    await sweep(chat)
    assert await choices(chat, "ben") == {ConsentKind.NEWS: False, ConsentKind.JOBS: False}
    assert await choices(chat, "ana") == {ConsentKind.NEWS: True, ConsentKind.JOBS: True}


async def test_a_new_privacy_notice_is_agreed_to_once(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    chat = Chat.start(settings, db, clock)
    await chat.onboard("ana", news="yes", jobs="no")
    await chat.onboard("quiet", news="no", jobs="no")  # wants no message: not asked
    await sweep(chat)
    assert "Shall we stay in touch?" not in chat.out.getvalue()
    newer = settings.model_copy(
        update={"onboarding": settings.onboarding.model_copy(update={"privacy_version": "2027-01"})}
    )
    chat = Chat.start(newer, db, clock)  # Roost restarted with the new notice
    await sweep(chat)
    await sweep(chat)
    assert chat.out.getvalue().count("our privacy notice is now version 2027-01") == 1
    assert "[DM to quiet]" not in chat.out.getvalue()
    await chat.say("1", as_="ana")  # Keep me
    member = await member_named(chat, "ana")
    assert member.privacy_version == "2027-01"


async def test_an_inactive_member_is_warned_then_erased_everywhere(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("zorblat", location="Zorbtown", news="yes", jobs="yes")
    await chat.onboard("ana", news="yes", jobs="yes")
    await chat.onboard("quiet", news="no", jobs="no")  # wants no message: erased unwarned
    zorblat_id = (await member_named(chat, "zorblat")).id or 0
    quiet_id = (await member_named(chat, "quiet")).id or 0
    clock.advance(2 * YEAR + timedelta(days=1))  # 24 months and a day without a word
    await sweep(chat)
    warned = chat.out.getvalue()
    assert warned.count("== We'll erase your data soon ==") == 2
    assert "[DM to quiet]\n== We'll erase" not in warned
    await chat.say("/profile", as_="ana")  # ana comes back: she stays
    seen = await chat.say("/privacy due", as_="hr")
    assert "Members to erase: 0" in seen  # not yet: the notice runs
    clock.advance(NOTICE)
    seen = await chat.say("/privacy due", as_="hr")
    assert "Members to erase: 2" in seen  # zorblat, and quiet without a word
    await sweep(chat)
    assert (await member_named(chat, "ana")).erased_at is None
    async with chat.app.db.session() as session:
        zorblat = await session.get(Member, zorblat_id)
        assert zorblat is not None and zorblat.erased_at is not None and zorblat.location is None
        audit = (await session.exec(select(AuditEntry))).all()
        purged = [a.target_member_id for a in audit if a.action == "privacy.purge"]
        assert sorted(p or 0 for p in purged) == sorted([zorblat_id, quiet_id])  # each audited
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:  # none of the member's identifiers left
            for row in (await conn.execute(core_select(table))).all():
                text = str(tuple(row)).lower()
                assert "zorblat" not in text and "zorbtown" not in text, table.name


async def test_the_sweep_is_a_daily_job_and_hr_sees_what_is_due(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("ana", news="yes")
    assert "only for the hr team" in await chat.say("/privacy due", as_="ana")
    await chat.app.scheduler.start()  # this process schedules
    try:
        assert chat.app.scheduler.aps is not None
        job = chat.app.scheduler.aps.get_job("duty:privacy")
        assert job is not None and job.next_run_time == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
        clock.advance(YEAR - NOTICE + timedelta(days=1, hours=18))  # a day's sweep, at 03:00
        assert "duty:privacy" in await chat.app.scheduler.fire_due()
        await chat.app.worker.drain()
    finally:
        await chat.app.scheduler.stop()
    assert "== Shall we stay in touch? ==" in chat.out.getvalue()
    member = await member_named(chat, "ana")
    async with chat.app.db.session() as session:
        assert (await session.get(Member, member.id)) is not None


async def test_a_new_notice_months_before_does_not_stand_for_the_lapse_reminder(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    chat = Chat.start(settings, db, clock)
    await chat.onboard("ana", news="yes", jobs="no")
    clock.advance(timedelta(days=90))
    newer = settings.model_copy(
        update={"onboarding": settings.onboarding.model_copy(update={"privacy_version": "2027-01"})}
    )
    chat = Chat.start(newer, db, clock)
    await sweep(chat)  # the new notice, three months in: ana does not answer
    assert chat.out.getvalue().count("== Shall we stay in touch? ==") == 1
    clock.advance(YEAR - NOTICE + timedelta(days=1) - timedelta(days=90))
    await sweep(chat)  # her choice lapses in two weeks: she is asked again
    assert chat.out.getvalue().count("== Shall we stay in touch? ==") == 2


async def test_a_member_whose_consent_lapsed_is_still_warned_before_erasure(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("ana", news="yes", jobs="yes")
    ana = (await member_named(chat, "ana")).id or 0
    for _ in range(25):  # the sweep runs every month for two years; ana never comes back
        clock.advance(timedelta(days=30))
        await sweep(chat)
    assert await choices(chat, "ana") == {ConsentKind.NEWS: False, ConsentKind.JOBS: False}
    assert chat.out.getvalue().count("== We'll erase your data soon ==") == 1
    clock.advance(NOTICE)
    await sweep(chat)
    async with chat.app.db.session() as session:
        audit = [a for a in await session.exec(select(AuditEntry)) if a.target_member_id == ana]
    assert [(a.action, a.detail["reason"]) for a in audit] == [
        ("privacy.purge", "inactive past the retention, warned")
    ]


async def test_who_said_no_to_every_message_is_erased_unwarned_and_the_audit_says_so(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("quiet", news="no", jobs="no")
    quiet = (await member_named(chat, "quiet")).id or 0
    clock.advance(2 * YEAR + NOTICE + timedelta(days=1))
    await sweep(chat)
    assert "[DM to quiet]\n== We'll erase" not in chat.out.getvalue()
    async with chat.app.db.session() as session:
        audit = [a for a in await session.exec(select(AuditEntry)) if a.target_member_id == quiet]
    assert [a.detail["reason"] for a in audit] == [
        "inactive past the retention; not warned: they allowed no message"
    ]
