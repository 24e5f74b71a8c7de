"""The delivery worker: claims outbox rows in batches and sends them through the adapters.

Every Roost process runs one. Adapters pace themselves to their platform's limits; the worker
decides what a failure means: a member who blocked the bot is marked and never retried, a
timeout that may have delivered becomes `unknown`, a 5xx or network error is retried with
backoff up to a limit, and Discord sends carry a nonce so a repeat never posts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.adapter import Adapter, DeliveryError, Uncertain, Undeliverable
from bot.clock import Clock
from bot.kinds import CampaignKind, Render
from bot.messages import ChannelTarget, DirectTarget, Sent, Target
from bot.scheduler.ledger import Ledger, Outcome, Plan, retry_or_fail
from bot.settings import Settings
from storage.db import Database, Outage, Session, unreachable
from storage.leases import WORKER, forget_workers, hold
from storage.members import reachable_accounts
from storage.models import Campaign, Delivery, Identity, PlatformPost
from storage.models.states import DeliveryState
from storage.outbox import claim, recover

log = logging.getLogger("roost.outbox")

# What a campaign's rows say: given the campaign (and a session to load what it needs, once
# per batch), a function from a row to its message.


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        adapters: Mapping[str, Adapter],
        clock: Clock,
        settings: Settings,
        kinds: Mapping[str, CampaignKind],
        *,
        process: str,
        lease: timedelta,
    ) -> None:
        self.db, self.adapters, self.clock = db, adapters, clock
        self.settings, self.kinds = settings.outbox, kinds
        self.composers = {name: kind.composer(settings) for name, kind in kinds.items()}
        self.name, self.lease = f"{WORKER}{process}", lease  # its presence lease
        self._wake = asyncio.Event()
        # Sends in flight per platform: enough to hide network latency under any platform's
        # limit; more only queue inside the HTTP client, whose pool slows as the queue grows.
        self._in_flight = {p: asyncio.Semaphore(self.settings.concurrency) for p in adapters}
        self._unprepared: list[Delivery] = []  # claimed, then the database went away
        self.outage = Outage(log, "delivery")
        retry = retry_or_fail(clock, self.settings.max_attempts)
        self.ledger = Ledger(db, self.name, clock, retry, self.outage)

    @property
    def recorded(self) -> int:
        """Rows whose outcome is recorded since start."""
        return self.ledger.recorded

    async def wait_recorded(self, count: int) -> None:
        """Until `count` rows' outcomes are recorded (a channel post is then known, so votes
        on it and edits of it find it)."""
        await self.ledger.wait_recorded(count)

    def wake(self) -> None:
        """New rows are waiting (in this process); don't wait for the next poll."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until `stopping` is set; the batch in flight is finished first, so a
        graceful stop leaves no row in flight (only a crash does). Nothing stops it: a lost
        database is waited out, and any other failure is logged and the work goes on."""
        try:  # before the first claim, or others would take its rows back
            await self._present(stopping)
        except Exception:
            log.exception("could not announce the delivery worker; delivering all the same")
        presence = asyncio.create_task(self._keep_present(stopping), name="worker presence")
        try:
            while not stopping.is_set():
                pause = self.settings.poll_seconds
                try:
                    handled = await self.drain(stopping)
                    self.outage.ok()
                except Exception as exc:
                    handled = 0
                    if unreachable(exc):
                        pause = self.outage.failed(exc)
                    else:
                        log.exception("delivery failed; carrying on")
                if not handled:
                    await self._idle(stopping, pause)
        finally:
            presence.cancel()
            await asyncio.gather(presence, return_exceptions=True)

    async def _idle(self, stopping: asyncio.Event, seconds: float) -> None:
        self._wake.clear()
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stopping.wait())]
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()

    async def _present(self, stopping: asyncio.Event) -> None:
        """Renew this worker's presence, then take back the rows of workers that are gone."""
        outage = Outage(log, "delivery presence")
        while not stopping.is_set():
            try:
                async with self.db.session() as session:
                    await hold(session, self.name, self.name, now=self.clock.now(), ttl=self.lease)
                await self.recover()
                outage.ok()
                return
            except Exception as exc:
                if not unreachable(exc):
                    raise
                await asyncio.sleep(outage.failed(exc))

    async def _keep_present(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            await self._idle_for(stopping, self.lease.total_seconds() / 3)
            try:
                await self._present(stopping)
            except Exception:
                log.exception("could not renew the delivery worker's presence")

    @staticmethod
    async def _idle_for(stopping: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), seconds)

    async def recover(self) -> dict[str, int]:
        """Rows that workers now gone had claimed: back in the queue where they never went out,
        resent where that is safe, else marked unknown; logged when there were any."""
        idempotent = {p for p, a in self.adapters.items() if a.capabilities.idempotent_sends}
        async with self.db.session() as session:
            resend = set(
                await session.exec(select(col(Campaign.id)).where(Campaign.on_unknown == "resend"))
            )
            counts = await recover(
                session,
                now=self.clock.now(),
                idempotent=idempotent,
                resend={i for i in resend if i},
            )
            await forget_workers(session, self.clock.now() - timedelta(days=1))
            await session.commit()
        if any(counts.values()):
            log.warning(
                "rows of a stopped worker: %(returned)d never sent, queued again; "
                "%(requeued)d resent safely; %(unknown)d uncertain",
                counts,
            )
            self.wake()
        return counts

    async def drain(self, stopping: asyncio.Event | None = None) -> int:
        """Send until nothing is due (or `stopping` is set); the number of rows handled.

        Pipelined: the next batch is claimed and prepared while this one is on the wire, so
        the database work (in SQLite's thread, or PostgreSQL's process) hides behind the
        network time and the pacing never idles between batches. Each send's outcome is
        recorded as it comes back (see `Ledger`)."""
        total, sending = 0, None
        batch = await self._next_batch()
        while batch or sending is not None:
            started = asyncio.ensure_future(self._send_all(batch)) if batch else None
            if sending is not None:
                total += await sending
            sending = started
            wanted = sending is not None and (stopping is None or not stopping.is_set())
            try:
                batch = await self._next_batch() if wanted else []
            except Exception:  # the batch on the wire is recorded all the same
                if sending is not None:
                    await sending
                raise
        return total

    async def drain_once(self) -> int:
        """One batch, start to end: claim, prepare, send, record. The number of rows."""
        batch = await self._next_batch()
        return await self._send_all(batch) if batch else 0

    async def _next_batch(self) -> list[Plan]:
        """Claim due rows and prepare every message (no database work is left for while
        sending). Rows claimed when the database then went away are prepared next time."""
        rows, self._unprepared = self._unprepared, []
        if not rows:
            async with self.db.session() as session:
                rows = await claim(
                    session,
                    batch=self.settings.batch,
                    now=self.clock.now(),
                    postgres=not self.db.is_sqlite,
                    worker=self.name,
                )
        try:
            return await self._prepare(rows) if rows else []
        except Exception:
            self._unprepared = rows
            raise

    async def _send_all(self, plans: list[Plan]) -> int:
        """Send and record every planned row; how many."""
        await asyncio.gather(*(self._deliver(plan) for plan in plans))
        return len(plans)

    async def _deliver(self, plan: Plan) -> None:
        outcome = await self._send(plan)
        if outcome is not None:
            await self.ledger.record(outcome)

    async def _prepare(self, rows: list[Delivery]) -> list[Plan]:
        members = [r.member_id for r in rows if r.member_id is not None]
        async with self.db.session() as session:
            accounts: dict[tuple[int | None, str], Identity] = {
                (member, identity.platform): identity
                for member, identity in (await reachable_accounts(session, members)).items()
            }
            plans = []
            campaigns: dict[int, Campaign] = {}
            renderers: dict[int, Render | None] = {}
            for row in rows:
                campaign = campaigns.get(row.campaign_id) or await session.get(
                    Campaign, row.campaign_id
                )
                assert campaign is not None
                campaigns[row.campaign_id] = campaign
                target = _target(row, accounts)
                try:
                    if row.campaign_id not in renderers:
                        renderers[row.campaign_id] = await self._renderer(session, campaign)
                    render = renderers[row.campaign_id]
                    message = render(row) if target and render else None
                except Exception as exc:  # a bug in composing: keep the row, say why
                    log.exception("composing delivery %s failed", row.id)
                    plans.append(Plan(row, campaign, None, None, f"error: {type(exc).__name__}"))
                    continue
                if render is None:  # what it was about is gone: nothing to say
                    plans.append(Plan(row, campaign, None, None, None, "its subject is gone"))
                    continue
                plans.append(Plan(row, campaign, target, message, None))
        return plans

    async def _renderer(self, session: Session, campaign: Campaign) -> Render | None:
        """The campaign's composer given its subject, loaded once; None when the subject is
        gone (a deleted poll) or no feature sends the kind any longer."""
        kind = self.kinds.get(campaign.kind)
        if kind is None:
            return None
        subject = await kind.subject.row(session, campaign.subject_id)
        if subject is None and kind.subject.table is not None:
            return None
        return await self.composers[campaign.kind](session, campaign, subject)

    async def _send(self, plan: Plan) -> Outcome | None:
        row = plan.row
        if plan.problem is not None:
            return Outcome(plan, "retry", plan.problem)
        if plan.target is None or plan.message is None:
            return Outcome(plan, DeliveryState.SKIPPED, plan.skip or "unreachable")
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            return Outcome(plan, "retry", f"{row.platform} is not running")
        key = f"roost-{row.id}" if adapter.capabilities.idempotent_sends else None
        native = plan.message.poll if adapter.capabilities.native_polls else None
        try:
            async with self._in_flight[row.platform]:
                try:
                    if not await self.ledger.mark(row.id or 0):
                        return None  # taken back from this worker while it was unreachable
                except Exception as exc:  # not sent: the row goes back to the queue
                    return Outcome(plan, "release", f"database unreachable: {exc}"[:200])
                sent = (
                    await adapter.send_poll(plan.target, native)
                    if native is not None
                    else await adapter.send(plan.target, plan.message, idempotency_key=key)
                )
        except Undeliverable as exc:
            return Outcome(plan, "unreachable", str(exc))
        except Uncertain as exc:
            return Outcome(plan, DeliveryState.UNKNOWN, str(exc))
        except DeliveryError as exc:
            return Outcome(plan, "retry", str(exc))
        if row.member_id is None:
            await self._keep_post(plan.campaign, sent)
        return Outcome(plan, DeliveryState.SENT, None, sent)

    async def _keep_post(self, campaign: Campaign, sent: Sent) -> None:
        """A channel post is kept as soon as it is out, not with its batch: votes on a native
        poll may come within milliseconds, and they are matched through it."""
        post = {
            "subject_type": campaign.subject_type,
            "subject_id": campaign.subject_id,
            "platform": sent.platform,
            "chat_id": sent.chat_id,
            "message_id": sent.message_id,
            "native_id": sent.native_id,
            "at": self.clock.now(),
        }

        async def keep(session: AsyncSession) -> None:
            await session.exec(insert(PlatformPost), params=[post])

        await self._write(keep)

    async def _write(self, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
        """Run `work` in a transaction of its own until the database takes it: what was sent
        is never forgotten because the database was away for a while."""
        while True:
            try:
                async with self.db.session() as session:
                    await work(session)
                    await session.commit()
                self.outage.ok()
                return
            except Exception as exc:
                if not unreachable(exc):
                    raise
                await asyncio.sleep(self.outage.failed(exc))


def _target(row: Delivery, accounts: Mapping[tuple[int | None, str], Identity]) -> Target | None:
    if row.recipient.startswith("c:"):
        _, platform, chat = row.recipient.split(":", 2)
        return ChannelTarget(platform, chat)
    identity = accounts.get((row.member_id, row.platform))
    if identity is None or not identity.deliverable:
        return None
    return DirectTarget(identity.platform, identity.platform_user_id, identity.dm_chat_id)
