"""The scheduler's jobs: plain functions referenced by name, given ids only, so the job store
can keep them across restarts. They find the running Roost's scheduler through a context
variable it sets before it starts (no global state, nothing pickled but ids).

A job that finds the database gone waits it out (APScheduler would drop the run): a push due
during a failover still goes out, once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from storage.db import Outage, unreachable

if TYPE_CHECKING:
    from bot.scheduler.scheduler import Scheduler

RUNNING: ContextVar[Scheduler] = ContextVar("roost_scheduler")
log = logging.getLogger("roost.scheduler")
TRIES = 12  # 0.5 s doubling to 30 s: about five minutes


async def launch_campaign(campaign_id: int) -> None:
    await _retrying(lambda: RUNNING.get().launch(campaign_id), f"campaign {campaign_id}")


async def choose_winner(campaign_id: int) -> None:
    await _retrying(
        lambda: RUNNING.get().campaigns.choose_winner(campaign_id), f"winner {campaign_id}"
    )


async def run_duty(name: str) -> None:
    await _retrying(lambda: RUNNING.get().run_duty(name), f"duty {name}")


async def _retrying(job: Callable[[], Awaitable[object]], what: str) -> None:
    outage = Outage(log, what)
    try:
        for _ in range(TRIES):
            try:
                await job()
            except Exception as exc:
                if not unreachable(exc):
                    raise
                await asyncio.sleep(outage.failed(exc))
            else:
                outage.ok()
                return
        await job()  # the last try: its error is APScheduler's to log
    except asyncio.CancelledError:  # Roost is stopping: nothing went wrong
        log.info("%s: stopped with Roost before it finished; it runs again once back", what)
