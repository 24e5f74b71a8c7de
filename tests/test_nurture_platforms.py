"""A nurture sequence walked on Telegram, Discord and Slack at once, through the real libraries:
each platform's member gets the first article as that platform shows it; who opened it moves
on, who did not gets it again under the other title; then the second step, then the end."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.handlers.nurture import advance
from storage.db import Database
from storage.models import (
    Enrollment,
    Member,
    Nurture,
    NurtureStep,
)
from storage.nurture import step_sends
from tests.roost_everywhere import Everywhere, roost_everywhere
from tests.seed import approved_content, deliver

PLATFORMS = ("telegram", "discord", "slack")


async def day(world: Everywhere, clock: ManualClock, days: float, sends: int) -> None:
    """Time passes, the daily walk runs, and its `sends` messages are delivered."""
    clock.advance(timedelta(days=days))
    app = world.app
    async with app.db.session() as session:
        launches = await advance(session, clock.now(), app.settings)
        await session.commit()
    await deliver(app, launches, sends)


async def test_a_sequence_walked_on_every_platform(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_everywhere(sqlite_db, clock, PLATFORMS) as world:
        people = {p: (await world.person(f"Ada{p}"))[p] for p in PLATFORMS}
        for account in people.values():
            await world.command(account, "help")
        now = clock.now()
        first = await approved_content(
            sqlite_db, now, "Salaries this year.", "Pay in data", "What data earns"
        )
        second = await approved_content(sqlite_db, now, "Our data team.", "Meet the data team")
        async with sqlite_db.session() as session:
            for member in await session.exec(select(Member)):
                member.onboarded_at, member.consent_news, member.function = now, True, "data"
            sequence = Nurture(name="Data folks", status="active", started_at=now,
                               entry={"segment": {"function": "data"}}, created_at=now)  # fmt: skip
            session.add(sequence)
            await session.flush()
            session.add_all([
                NurtureStep(nurture_id=sequence.id or 0, position=0, kind="content",
                            subject_id=first, unopened_days=1),
                NurtureStep(nurture_id=sequence.id or 0, position=1, kind="content",
                            subject_id=second, wait_hours=48),
            ])  # fmt: skip
            await session.commit()

        await day(world, clock, 0.01, sends=3)
        for account in people.values():
            shown = account.text()
            assert ("Pay in data" in shown) != ("What data earns" in shown), account.platform
        for platform in ("telegram", "slack"):
            assert "Salaries this year." in await world.press(people[platform], "Read")

        await day(world, clock, 1, sends=1)  # Discord's member did not open it: again, retitled
        assert "Pay in data" in people["discord"].text()
        assert "What data earns" in people["discord"].text()
        await day(world, clock, 1, sends=3)  # two days after the first step: the second
        for account in people.values():
            assert "Meet the data team" in account.text(), account.platform
        await day(world, clock, 1, sends=0)
        async with sqlite_db.session() as session:
            states = [
                e.state for e in await session.exec(select(Enrollment).order_by(col(Enrollment.id)))
            ]
            steps = list(
                await session.exec(select(NurtureStep).order_by(col(NurtureStep.position)))
            )
            sends = await step_sends(session, [s.id or 0 for s in steps])
        assert states == ["done", "done", "done"]
        assert [(s.entered, sends[s.id or 0].sent, s.opened, s.moved_on) for s in steps] == [
            (3, 4, 2, 3),
            (3, 3, 0, 3),
        ]
