"""Daily duties: each at its configured hour, once after downtime however long, again after a
stop cut one short, and quietly stopped when Roost stops (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_app
from bot.clock import ManualClock
from bot.handlers import nurture
from bot.kinds import Duty, Signal
from bot.scheduler.jobs import RUNNING, run_duty
from bot.scheduler.triggers import latest_fire
from bot.settings import ConfigError, DutySettings, Settings
from storage.content import record
from storage.db import Database
from storage.duties import last_runs
from storage.models.states import Fact
from tests.chat import Chat
from tests.test_membership import member_named


def test_the_last_fire_of_a_daily_rule_is_found_datetime_in_datetime_out() -> None:
    rule = "0 9 * * *"
    at = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert latest_fire(rule, "UTC", at) == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert latest_fire(rule, "UTC", at.replace(hour=8)) == datetime(2026, 12, 2, 9, tzinfo=UTC)
    berlin = latest_fire(rule, "Europe/Berlin", at)  # 09:00 in Berlin is 08:00 UTC
    assert berlin == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


async def test_duty_hours_come_from_the_settings_and_unknown_names_are_refused(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    hours = settings.model_copy(update={"duties": DutySettings(hours={"nurture": 13})})
    chat = Chat.start(hours, db, clock)
    await chat.app.scheduler.start()
    try:
        assert chat.app.scheduler.aps is not None
        job = chat.app.scheduler.aps.get_job("duty:nurture")
        assert job is not None and job.next_run_time == datetime(2026, 11, 27, 13, tzinfo=UTC)
    finally:
        await chat.app.scheduler.stop()
    wrong = settings.model_copy(update={"duties": DutySettings(hours={"nurtur": 13})})
    with pytest.raises(ConfigError, match="there is no daily duty nurtur"):
        build_app(wrong, [chat.console], db, clock)


async def test_a_duty_missed_while_roost_was_down_runs_once_when_it_is_back(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.app.scheduler.start()
    await chat.app.scheduler.stop()  # Roost stops at 09:00 on the 27th ...
    clock.advance(timedelta(days=3, hours=4))  # ... and is back three days later at 13:00
    await chat.app.scheduler.start()
    try:
        ran = await chat.app.scheduler.fire_due()
        assert ran.count("duty:nurture") == 1 and "duty:privacy" in ran  # once each, not thrice
        assert "duty:nurture" not in await chat.app.scheduler.fire_due()
    finally:
        await chat.app.scheduler.stop()
    async with chat.app.db.session() as session:
        runs = await last_runs(session)
    assert runs["nurture"].finished_at == clock.now()


async def test_a_duty_cut_short_by_a_stop_runs_again_and_the_stop_logs_no_error(
    chat: Chat, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "roost.scheduler")
    started = asyncio.Event()

    async def slow(_session: object, _now: datetime, _settings: Settings) -> list[Signal]:
        started.set()
        await asyncio.sleep(60)
        return []

    chat.app.campaigns.duties = {**chat.app.campaigns.duties, "nurture": Duty("nurture", slow, 9)}
    RUNNING.set(chat.app.scheduler)
    running = asyncio.create_task(run_duty("nurture"))
    await started.wait()
    running.cancel()  # Roost stops in the middle of the walk
    await running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "stopped with Roost before it finished" in caplog.text

    chat.app.campaigns.duties = {**chat.app.campaigns.duties, "nurture": NURTURE}
    clock.advance(timedelta(hours=1))
    await chat.app.scheduler.start()  # back: the walk that was cut short is due again
    try:
        assert "duty:nurture" in await chat.app.scheduler.fire_due()
        assert "duty:nurture" not in await chat.app.scheduler.catch_up()  # and ran, once
    finally:
        await chat.app.scheduler.stop()


async def test_engagement_is_scored_at_the_first_start_not_the_first_night(
    chat: Chat, clock: ManualClock
) -> None:
    await chat.onboard("ana")
    ana = await member_named(chat, "ana")
    async with chat.app.db.session() as session:
        await record(session, ana.id, Fact.OPENED, 1, None, "console", clock.now())
        await session.commit()
    assert "dormant" in await chat.say("/members", as_="hr")
    await chat.app.scheduler.start()
    try:
        assert "duty:engagement" in await chat.app.scheduler.fire_due()
    finally:
        await chat.app.scheduler.stop()
    seen = await chat.say("/members", as_="hr")
    assert "Berlin · observer" in seen, seen


NURTURE = nurture.router.duties[0]
