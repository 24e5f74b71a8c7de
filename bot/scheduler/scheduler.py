"""APScheduler 3 with its SQLAlchemy job store in Roost's own database (on SQLite, a file beside
it; see `job_store_url`).

APScheduler allows one scheduler per job store, so it is a singleton duty among Roost
processes (`bot.scheduler.singleton`): the holder of its lease runs `lead`, the others wait
to take over. Campaign rows are the truth; `sync` makes
the job store agree with them (a job per scheduled campaign, none for a cancelled one).
A push missed while Roost was down runs once when it comes back, within the grace period;
a daily duty missed while it was down (or cut short by a stop) runs once, however late.

APScheduler reads the system time, so with a clock that stands still (tests, benchmarks) it
starts paused and `fire_due` runs what is due by Roost's clock instead: no schedule depends on
the day the tests run.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.clock import Clock
from bot.kinds import Duty
from bot.scheduler.campaigns import Campaigns, Launched
from bot.scheduler.jobs import RUNNING
from bot.scheduler.triggers import latest_fire, next_run, trigger
from bot.settings import Settings
from storage.db import Database
from storage.duties import last_runs
from storage.inbound import HANDLED_KEPT, forget_handled
from storage.models import Campaign
from storage.models.states import CampaignStatus

log = logging.getLogger("roost.scheduler")


def job_store_url(url: str) -> str:
    """Where APScheduler keeps its jobs, through a synchronous driver.

    On PostgreSQL, Roost's own database. On SQLite, a file beside it: APScheduler 3 writes its
    job store synchronously on the event loop's thread, and SQLite has one write lock for the
    whole file, so a job-store write waiting on an async transaction that needs the (blocked)
    loop to finish would stall both until SQLite's busy timeout.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    database = parsed.database or ""
    jobs = f"{database.removesuffix('.db')}.jobs.db" if database not in ("", ":memory:") else ""
    return parsed.set(drivername="sqlite", database=jobs).render_as_string(hide_password=False)


class Scheduler:
    def __init__(
        self, db: Database, campaigns: Campaigns, clock: Clock, settings: Settings
    ) -> None:
        self.db, self.campaigns, self.clock, self.settings = db, campaigns, clock, settings
        self.aps: AsyncIOScheduler | None = None

    async def lead(self) -> None:
        """Schedule until cancelled: what the holder of the scheduler's lease does. It also
        forgets, hourly, the ids of inbound events too old to come again."""
        try:
            await self.start()
            while True:
                try:
                    async with self.db.session() as session:
                        await forget_handled(session, self.clock.now() - HANDLED_KEPT)
                        await session.commit()
                except Exception as exc:  # not worth stopping the scheduler for: next hour
                    log.warning("could not forget old inbound events: %s", exc)
                await asyncio.sleep(3600)
        finally:
            await self.stop()

    async def start(self) -> None:
        """Start APScheduler on the job store and make it agree with the campaigns."""
        RUNNING.set(self)  # jobs started by this scheduler see it
        url = job_store_url(self.db.url.render_as_string(hide_password=False))
        # A connection the server dropped is noticed and replaced, not failed on.
        store = SQLAlchemyJobStore(engine=create_engine(url, pool_pre_ping=True))
        self.aps = AsyncIOScheduler(
            jobstores={"default": store},
            timezone=self.settings.community.timezone,
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": self.settings.content.misfire_grace_seconds,
            },
        )
        self.aps.start(paused=not self.clock.live)
        log.info("this process schedules")
        await self.sync()
        await self.catch_up()

    async def stop(self) -> None:
        if self.aps is not None:
            self.aps.shutdown(wait=False)
            self.aps = None

    async def sync(self) -> None:
        """Make the job store match the campaigns: one job per scheduled campaign."""
        if self.aps is None:
            return
        timezone, now = self.settings.community.timezone, self.clock.now()
        grace = timedelta(seconds=self.settings.content.misfire_grace_seconds)
        async with self.db.session() as session:
            top = select(Campaign).where(col(Campaign.parent_id).is_(None))
            campaigns = list(await session.exec(top))
            for campaign in campaigns:  # one-off pushes Roost was down for too long to send late
                once = campaign.scheduled_at if not campaign.recurrence else None
                if (
                    campaign.status == CampaignStatus.SCHEDULED
                    and once is not None
                    and once < now - grace
                ):
                    campaign.status = CampaignStatus.MISSED
                    log.warning("campaign %s missed: Roost was down past the grace", campaign.id)
            await session.commit()
        for name, duty in self.campaigns.duties.items():  # the features' daily work
            daily = _daily(duty, self.settings)
            held = self.aps.get_job(f"duty:{name}")
            if (
                held is not None
                and str(held.trigger) == str(trigger(None, daily, timezone))
                and held.misfire_grace_time is None
            ):
                continue  # already kept daily at that hour: no job-store write per sync
            self.aps.add_job(
                "bot.scheduler.jobs:run_duty",
                trigger(None, daily, timezone),
                args=[name],
                id=f"duty:{name}",
                next_run_time=next_run(None, daily, timezone, now),
                replace_existing=True,
                misfire_grace_time=None,  # missed while Roost was down: once, however late
            )
        for campaign in campaigns:
            job_id = f"campaign:{campaign.id}"
            if campaign.status != CampaignStatus.SCHEDULED:
                if self.aps.get_job(job_id) is not None:
                    self.aps.remove_job(job_id)
                continue
            if self.aps.get_job(job_id) is not None:
                continue
            fires = trigger(campaign.scheduled_at, campaign.recurrence, timezone)
            first = next_run(campaign.scheduled_at, campaign.recurrence, timezone, now)
            if (
                campaign.scheduled_at is not None
                and not campaign.recurrence
                and campaign.scheduled_at <= now
            ):
                first = campaign.scheduled_at  # due already: the job store runs it at once
            self.aps.add_job(
                "bot.scheduler.jobs:launch_campaign",
                fires,
                args=[campaign.id],
                id=job_id,
                next_run_time=first,
                replace_existing=True,
            )

    async def catch_up(self) -> list[str]:
        """Make due now, once, each daily duty whose last due time passed with no run finished
        after it (Roost was stopped during it, or its job was replaced), and each that runs at
        Roost's first start; those APScheduler holds as due already it runs by itself. Their
        job ids."""
        if self.aps is None:
            return []
        now, timezone = self.clock.now(), self.settings.community.timezone
        async with self.db.session() as session:
            runs = await last_runs(session)
        caught = []
        for name, duty in self.campaigns.duties.items():
            job = self.aps.get_job(f"duty:{name}")
            if job is None or job.next_run_time is None or job.next_run_time <= now:
                continue
            last = runs.get(name)
            due = latest_fire(_daily(duty, self.settings), timezone, now)
            if last is None:
                missed = duty.at_first_start
            else:
                done = last.finished_at
                missed = due is not None and (done is None or done < due)
            if missed:
                log.info("daily duty %s was missed: it runs now", name)
                job.modify(next_run_time=now)
                caught.append(job.id)
        return caught

    async def fire_due(self) -> list[str]:
        """Run the jobs due by Roost's clock as APScheduler would by itself: once however many
        runs were missed (coalesced), not at all when later than the grace; the ids of those
        that ran."""
        if self.aps is None:
            return []
        RUNNING.set(self)
        now = self.clock.now()
        ran: list[str] = []
        for job in self.aps.get_jobs():
            last = job.next_run_time
            if last is None or last > now:
                continue
            while (following := job.trigger.get_next_fire_time(last, now)) and following <= now:
                last = following
            grace = job.misfire_grace_time  # None: however late (a daily duty)
            if grace is None or (now - last).total_seconds() <= grace:
                await job.func(*job.args)
                ran.append(job.id)
            if following is None:
                job.remove()
            else:
                job.modify(next_run_time=following)
        return ran

    async def launch(self, campaign_id: int) -> Launched | None:
        """Launch a campaign, and keep the time its title test is to be decided."""
        launched = await self.campaigns.launch(campaign_id)
        self.decide(launched)
        return launched

    async def run_duty(self, name: str) -> list[Launched]:
        launched = await self.campaigns.run_duty(name)
        for run in launched:
            self.decide(run)
        return launched

    def decide(self, launched: Launched | None) -> None:
        """Choose a run's A/B winner when its sample's wait is over (a job, so it survives a
        restart)."""
        if launched is not None and launched.decide_at is not None:
            self.later(launched.run_id, launched.decide_at)

    def later(self, campaign_id: int, at: datetime) -> None:
        """Choose an A/B winner at `at` (a job, so it survives a restart)."""
        if self.aps is not None:
            self.aps.add_job(
                "bot.scheduler.jobs:choose_winner",
                DateTrigger(run_date=at),
                args=[campaign_id],
                id=f"winner:{campaign_id}",
                replace_existing=True,
            )


def _daily(duty: Duty, settings: Settings) -> str:
    """A duty's crontab rule: every day at its configured hour."""
    return f"0 {duty.at(settings)} * * *"
