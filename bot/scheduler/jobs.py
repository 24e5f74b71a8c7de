"""The scheduler's jobs: plain functions referenced by name, given ids only, so the job store
can keep them across restarts. They find the running Roost's campaigns through a context
variable the scheduler sets before it starts (no global state, nothing pickled but ids)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.scheduler.campaigns import Campaigns

RUNNING: ContextVar[Campaigns] = ContextVar("roost_campaigns")


async def launch_campaign(campaign_id: int) -> None:
    await RUNNING.get().launch(campaign_id)


async def choose_winner(campaign_id: int) -> None:
    await RUNNING.get().choose_winner(campaign_id)


async def run_duty(name: str) -> None:
    await RUNNING.get().run_duty(name)
