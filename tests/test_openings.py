"""Jobs members find themselves (SQLite and PostgreSQL, through the console): `/jobs` lists the
open jobs that fit, `/alerts` brings new ones by DM (consent and cap respected), and a Not now
for timing comes back as an invitation to a newer job of the same kind, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.boards import Posting, function_of
from bot.clock import ManualClock
from bot.handlers.pipeline import alerts
from bot.handlers.pipeline.alerts import alert, come_back
from bot.handlers.pipeline.kinds import INVITATION
from storage.db import Database
from storage.models import Job, Member
from storage.openings import sync_board
from tests.chat import Chat
from tests.roost_everywhere import roost_everywhere
from tests.seed import deliver, launch
from tests.test_jobs import JOB, add_job, chat, invitation_of  # noqa: F401  (chat: a fixture)


async def test_members_see_the_open_jobs_that_fit_them(chat: Chat) -> None:  # noqa: F811
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    await chat.onboard("ana", function="engineering", seniority="senior", location="Berlin")
    await add_job(chat)  # engineering, senior, Berlin
    await add_job(chat, "Data analyst", "data", "junior", "Remote", "https://ats.example/9", "-")
    closing = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    await add_job(chat, "SRE", "engineering", "senior", "Remote", "https://ats.example/8", closing)
    mine = await chat.say("/jobs", as_="ana")
    assert "Open jobs for you" in mine and "Backend engineer" in mine and "SRE" in mine
    assert "Data analyst" not in mine and "apply <https://ats.example/jobs/7>" in mine
    assert "Data analyst" in await chat.say("/jobs all", as_="ana")
    clock.advance(timedelta(days=3))
    assert "SRE" not in await chat.say("/jobs all", as_="ana")  # closed
    refused = await chat.say("/jobs add", as_="ana")
    assert "Sorry, /jobs add is only for the hr team" in refused
    helped = await chat.say("/help", "/help jobs", as_="ana")
    assert "/jobs all" in helped and "/jobs invite" not in helped and "import" not in helped


async def test_an_alert_brings_a_new_job_that_fits_by_dm(chat: Chat) -> None:  # noqa: F811
    await chat.onboard("ana", jobs="yes")
    await chat.onboard("ben", jobs="no")
    await chat.onboard("cy", jobs="yes")
    assert "No job alerts yet" in await chat.say("/alerts", as_="ana")
    assert (
        "you'll hear of new jobs for function engineering, location berlin"
        in (await chat.say("/alerts function=engineering location=berlin", as_="ana")).lower()
    )
    seen = await chat.say("/alerts function=engineering", as_="ben")
    assert "Job messages are off for you" in seen
    await chat.say("/alerts function=design", as_="cy")
    assert "function is one of" in await chat.say("/alerts function=astronaut", as_="cy")
    assert "is not an option" in await chat.say("/alerts colour=red", as_="cy")

    seen = await chat.say("/jobs add", *JOB, as_="hr")
    assert "Members with a matching job alert hear of it." in seen
    await chat.app.worker.drain()
    shown = chat.out.getvalue()
    assert "[DM to ana]\n== A new job for your alert: Backend engineer ==" in shown
    assert "[DM to ben]\n== A new job for your alert" not in shown  # no consent
    assert "[DM to cy]\n== A new job for your alert" not in shown  # another function
    assert "Done: no more job alerts." in await chat.say("/alerts off", as_="ana")


async def test_a_not_now_for_timing_comes_back_once_with_a_newer_job(chat: Chat) -> None:  # noqa: F811
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    await chat.onboard("fay", jobs="yes")
    await chat.onboard("gus", jobs="yes")
    job = await add_job(chat)
    await chat.say(f"/jobs invite {job}", "1", as_="hr")
    await chat.app.worker.drain()
    await chat.say("3", "timing", "-", as_="fay")  # Not now, timing
    await chat.say("3", "salary", "-", as_="gus")  # Not now, but for pay: no coming back

    async def day(days: int) -> list[int]:
        clock.advance(timedelta(days=days))
        async with chat.app.db.session() as session:
            signals = await come_back(session, clock.now(), chat.app.settings)
            await session.commit()
        ids = await launch(chat.app, signals)
        await chat.app.worker.drain()
        return ids

    assert await day(30) == []  # too soon
    assert await day(61) == []  # 91 days: due, but no newer engineering job is open
    newer = await add_job(chat, "Platform engineer", *JOB[1:])
    before = chat.out.getvalue().count("[DM to fay]\n== Invitation to apply: Platform engineer")
    assert len(await day(1)) == 1
    shown = chat.out.getvalue()
    assert shown.count("[DM to fay]\n== Invitation to apply: Platform engineer") == before + 1
    assert "[DM to gus]\n== Invitation to apply: Platform engineer" not in shown
    assert await invitation_of(chat, "fay", newer) is not None
    assert await day(1) == []  # once


async def test_on_every_platform_an_alert_brings_the_new_job(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """Telegram, Discord and Slack at once: a member on each subscribes with `/alerts`, and a
    new job that fits reaches each of them by DM, rendered natively with its answers."""
    async with roost_everywhere(sqlite_db, clock, ("telegram", "discord", "slack")) as world:
        people = {p: (await world.person(f"Ada{p}"))[p] for p in ("telegram", "discord", "slack")}
        for account in people.values():
            await world.command(account, "help")
        async with sqlite_db.session() as session:
            for member in await session.exec(select(Member)):
                member.onboarded_at, member.consent_jobs = clock.now(), True
            await session.commit()
        for account in people.values():
            seen = await world.command(account, "alerts", criteria="function=data")
            assert "you'll hear of new jobs for function data" in seen
        async with sqlite_db.session() as session:
            job = Job(title="Data engineer", function="data", location="Berlin",
                      apply_url="https://ats.example/1", created_at=clock.now())  # fmt: skip
            session.add(job)
            await session.flush()
            campaign = await alert(session, job, clock.now())
            await session.commit()
        assert campaign is not None
        await deliver(world.app, [campaign], 3)
        for account in people.values():
            assert "A new job for your alert: Data engineer" in account.text()
        seen = await world.press(people["slack"], "I'm interested")
        assert "The recruiting team knows" in seen


async def test_on_every_platform_a_not_now_comes_back(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """Telegram, Discord and Slack at once: each member answers Not now, for timing, in their
    platform's own form; 90 days on, a newer job of the same kind reaches each of them."""
    async with roost_everywhere(sqlite_db, clock, ("telegram", "discord", "slack")) as world:
        people = {p: (await world.person(f"Ada{p}"))[p] for p in ("telegram", "discord", "slack")}
        for account in people.values():
            await world.command(account, "help")
        app = world.app

        async def invite(title: str) -> None:
            async with sqlite_db.session() as session:
                job = Job(title=title, function="data", apply_url="https://ats.example/1",
                          created_at=clock.now())  # fmt: skip
                session.add(job)
                await session.flush()
                members = [m.id or 0 for m in await session.exec(select(Member))]
                for member in await session.exec(select(Member)):
                    member.onboarded_at, member.consent_jobs = clock.now(), True
                campaign = await alerts.invite(
                    session, INVITATION, job.id or 0, members, clock.now()
                )
                await session.commit()
            await deliver(app, [campaign], 3)

        await invite("Data engineer")
        for account in people.values():
            assert "Invitation to apply: Data engineer" in account.text(), account.platform
            await world.press(account, "Not now")
            seen = await world.form(account, {"reason": "timing", "comment": ""})
            assert "Thank you, that helps." in seen, account.platform

        clock.advance(timedelta(days=91))
        await invite_later(app, sqlite_db, clock)
        for account in people.values():
            assert "Invitation to apply: Data platform engineer" in account.text(), account.platform


async def invite_later(app: Any, db: Database, clock: ManualClock) -> None:
    """A newer data job is open; the daily check brings the Not nows back."""
    async with db.session() as session:
        session.add(Job(title="Data platform engineer", function="data",
                        apply_url="https://ats.example/2", created_at=clock.now()))  # fmt: skip
        await session.commit()
    async with db.session() as session:
        signals = await come_back(session, clock.now(), app.settings)
        await session.commit()
    await deliver(app, signals, 3)


async def test_on_every_platform_imported_jobs_appear_and_close(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """A board's posting becomes a job each platform's member finds with `/jobs`; once gone
    from the board, it is gone from `/jobs` too."""
    posting = Posting("greenhouse:401", "Data engineer", "Data Science", "Berlin", "https://b/401")
    async with roost_everywhere(sqlite_db, clock, ("telegram", "discord", "slack")) as world:
        people = {p: (await world.person(f"Ada{p}"))[p] for p in ("telegram", "discord", "slack")}
        for account in people.values():
            await world.command(account, "help")

        async def board(*postings: Posting) -> None:
            functions = world.app.settings.onboarding.functions
            async with sqlite_db.session() as session:
                await sync_board(session, "greenhouse:", postings, clock.now(),
                                 lambda d: function_of(d, functions))  # fmt: skip
                await session.commit()

        await board(posting)
        for account in people.values():
            assert "Data engineer" in await world.command(account, "jobs", action="all")
        await board()
        clock.advance(timedelta(minutes=1))
        for account in people.values():
            assert "No open jobs just now." in await world.command(account, "jobs", action="all")
