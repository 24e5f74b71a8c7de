"""The delivery worker: claims outbox rows in batches and sends them through the adapters.

Every Roost process runs one. Adapters pace themselves to their platform's limits; the worker
decides what a failure means: a member who blocked the bot is marked and never retried, a
timeout that may have delivered becomes `unknown`, a 5xx or network error is retried with
backoff up to a limit, and Discord sends carry a nonce so a repeat never posts twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, select

from bot.adapter import Adapter, DeliveryError, Uncertain, Undeliverable
from bot.clock import Clock
from bot.kinds import Composer
from bot.messages import ChannelTarget, DirectTarget, Message, Sent, Target
from bot.settings import OutboxSettings
from storage.db import Database
from storage.models import Campaign, Delivery, Identity, Interaction, Member, PlatformPost
from storage.models.states import DeliveryState, Fact
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
        settings: OutboxSettings,
        composers: Mapping[str, Composer],
    ) -> None:
        self.db, self.adapters, self.clock = db, adapters, clock
        self.settings, self.composers = settings, composers
        self._wake = asyncio.Event()
        # Sends in flight per platform: enough to hide network latency under any platform's
        # limit; more only queue inside the HTTP client, whose pool slows as the queue grows.
        self._in_flight = {p: asyncio.Semaphore(settings.concurrency) for p in adapters}
        self.recorded = 0  # rows whose outcome is recorded since start
        self._progress = asyncio.Condition()

    async def wait_recorded(self, count: int) -> None:
        """Until `count` rows' outcomes are recorded (a channel post is then known, so votes
        on it and edits of it find it)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.recorded >= count)

    def wake(self) -> None:
        """New rows are waiting (in this process); don't wait for the next poll."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Deliver until `stopping` is set; the batch in flight is finished first, so a
        graceful stop leaves no row in `sending` (only a crash does)."""
        counts = await self.recover()
        if counts["unknown"] or counts["requeued"]:
            log.warning(
                "after a stop: %(requeued)d rows resent safely, %(unknown)d uncertain", counts
            )
        while not stopping.is_set():
            if not await self.drain(stopping):
                self._wake.clear()
                waits = [
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(stopping.wait()),
                ]
                await asyncio.wait(
                    waits, timeout=self.settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED
                )
                for waiting in waits:
                    waiting.cancel()

    async def recover(self) -> dict[str, int]:
        """Rows a stopped worker left in `sending`: resend where safe, else mark unknown."""
        idempotent = {p for p, a in self.adapters.items() if a.capabilities.idempotent_sends}
        async with self.db.session() as session:
            resend = set(
                await session.exec(select(col(Campaign.id)).where(Campaign.on_unknown == "resend"))
            )
            return await recover(
                session,
                now=self.clock.now(),
                idempotent=idempotent,
                resend={i for i in resend if i},
                stale_after=timedelta(seconds=self.settings.stale_after_seconds),
            )

    async def drain(self, stopping: asyncio.Event | None = None) -> int:
        """Send until nothing is due (or `stopping` is set); the number of rows handled.

        Pipelined: a batch starts sending as soon as it is ready, while the previous batch's
        last sends finish; that batch is then recorded and the next one claimed and prepared
        while this one is on the wire. So the database work (in SQLite's thread, or
        PostgreSQL's process) hides behind the network time and the pacing never idles
        between batches. Database steps still run one at a time: they never contend for
        SQLite's single writer."""
        total, sending = 0, None
        batch = await self._next_batch()
        while batch or sending is not None:
            started = asyncio.ensure_future(self._send_all(batch)) if batch else None
            if sending is not None:
                outcomes = await sending
                await self._record(outcomes)
                total += len(outcomes)
            sending = started
            wanted = sending is not None and (stopping is None or not stopping.is_set())
            batch = await self._next_batch() if wanted else []
        return total

    async def drain_once(self) -> int:
        """One batch, start to end: claim, prepare, send, record. The number of rows."""
        batch = await self._next_batch()
        if batch:
            await self._record(await self._send_all(batch))
        return len(batch)

    async def _next_batch(self) -> list[Plan]:
        """Claim due rows and prepare every message in one session (no database work is left
        for while sending)."""
        async with self.db.session() as session:
            rows = await claim(
                session,
                batch=self.settings.batch,
                now=self.clock.now(),
                postgres=not self.db.is_sqlite,
            )
        return await self._prepare(rows) if rows else []

    async def _send_all(self, plans: list[Plan]) -> list[Outcome]:
        return list(await asyncio.gather(*(self._send(plan) for plan in plans)))

    async def _prepare(self, rows: list[Delivery]) -> list[Plan]:
        members = {r.member_id for r in rows if r.member_id is not None}
        async with self.db.session() as session:
            accounts: dict[tuple[int | None, str], Identity] = {
                (i.member_id, i.platform): i
                for i in await session.exec(
                    select(Identity).where(col(Identity.member_id).in_(members))
                )
            }
            plans = []
            campaigns: dict[int, Campaign] = {}
            renderers: dict[int, Callable[[Delivery], Message]] = {}
            for row in rows:
                campaign = campaigns.get(row.campaign_id) or await session.get(
                    Campaign, row.campaign_id
                )
                assert campaign is not None
                campaigns[row.campaign_id] = campaign
                target = _target(row, accounts)
                try:
                    if row.campaign_id not in renderers:
                        compose = self.composers[campaign.kind]
                        renderers[row.campaign_id] = await compose(session, campaign)
                    message = renderers[row.campaign_id](row) if target else None
                except Exception as exc:  # a bug in composing: keep the row, say why
                    log.exception("composing delivery %s failed", row.id)
                    plans.append(Plan(row, campaign, None, None, f"error: {type(exc).__name__}"))
                    continue
                plans.append(Plan(row, campaign, target, message, None))
        return plans

    async def _send(self, plan: Plan) -> Outcome:
        row = plan.row
        if plan.problem is not None:
            return Outcome(plan, "retry", plan.problem)
        if plan.target is None or plan.message is None:
            return Outcome(plan, DeliveryState.SKIPPED, "unreachable")
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            return Outcome(plan, "retry", f"{row.platform} is not running")
        key = f"roost-{row.id}" if adapter.capabilities.idempotent_sends else None
        native = plan.message.poll if adapter.capabilities.native_polls else None
        try:
            async with self._in_flight[row.platform]:
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
        async with self.db.session() as session:
            session.add(
                PlatformPost(
                    subject_type=campaign.subject_type,
                    subject_id=campaign.subject_id,
                    platform=sent.platform,
                    chat_id=sent.chat_id,
                    message_id=sent.message_id,
                    native_id=sent.native_id,
                    at=self.clock.now(),
                )
            )
            await session.commit()

    async def _record(self, outcomes: list[Outcome]) -> None:
        """Every outcome of a batch in one transaction of bulk statements: the rows are
        updated by primary key from what the claim returned, never loaded again."""
        at = self.clock.now()
        changes, facts, contacted, gone, learnt = [], [], [], [], []
        for outcome in outcomes:
            row, campaign = outcome.plan.row, outcome.plan.campaign
            reason = (outcome.reason or "")[:200] or None
            change: dict[str, object] = {
                "id": row.id,
                "state": outcome.state,
                "reason": reason,
                "sent_at": None,
                "platform_message_id": None,
                "next_attempt_at": None,
            }
            if outcome.state == DeliveryState.SENT and outcome.sent is not None:
                sent = outcome.sent
                change.update(reason=None, sent_at=at, platform_message_id=sent.message_id)
                target = outcome.plan.target
                if isinstance(target, DirectTarget) and sent.chat_id not in (
                    target.dm_chat_id,
                    target.user_id,  # Telegram's DM is the user's own id: nothing to learn
                ):
                    learnt.append({"m": row.member_id, "p": row.platform, "dm": sent.chat_id})
                if row.member_id is not None:
                    contacted.append(row.member_id)
                    facts.append(
                        {
                            "member_id": row.member_id,
                            "kind": Fact.DELIVERED,
                            "subject_type": campaign.subject_type,
                            "subject_id": campaign.subject_id,
                            "variant_id": row.variant_id,
                            "platform": row.platform,
                            "at": at,
                        }
                    )
            elif outcome.state == "retry":
                change.update(self._retry_or_fail(row, reason or "failed"))
            elif outcome.state == "unreachable":
                change.update(state=DeliveryState.FAILED, reason=f"unreachable: {reason}"[:200])
                gone.append((row.member_id, row.platform, reason))
            changes.append(change)
        async with self.db.session() as session:
            await session.exec(update(Delivery), params=changes)
            if facts:
                await session.exec(insert(Interaction), params=facts)
            if learnt:  # a DM's channel, so the next send there needs no request to open it
                accounts = Identity.metadata.tables["identity"]  # Core: a WHERE per row
                await session.exec(
                    update(accounts)
                    .where(accounts.c.member_id == bindparam("m"))
                    .where(accounts.c.platform == bindparam("p"))
                    .values(dm_chat_id=bindparam("dm")),
                    params=learnt,
                )
            for member_id, platform, reason in gone:
                await session.exec(
                    update(Identity)
                    .where(col(Identity.member_id) == member_id, col(Identity.platform) == platform)
                    .values(deliverable=False, undeliverable_reason=reason)
                )
            if contacted:
                await session.exec(
                    update(Member).where(col(Member.id).in_(contacted)).values(last_contact_at=at)
                )
            await session.commit()
        async with self._progress:
            self.recorded += len(outcomes)
            self._progress.notify_all()

    def _retry_or_fail(self, row: Delivery, reason: str) -> dict[str, object]:
        if row.attempts >= self.settings.max_attempts:
            return {"state": DeliveryState.FAILED, "reason": reason[:200]}
        return {
            "state": DeliveryState.PENDING,
            "reason": f"retrying: {reason}"[:200],
            "next_attempt_at": self.clock.now() + timedelta(seconds=min(300, 2**row.attempts)),
        }


@dataclass(frozen=True)
class Plan:
    row: Delivery
    campaign: Campaign
    target: Target | None
    message: Message | None
    problem: str | None


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    state: str  # sent | retry | unreachable | unknown | skipped
    reason: str | None
    sent: Sent | None = None


def _target(row: Delivery, accounts: Mapping[tuple[int | None, str], Identity]) -> Target | None:
    if row.recipient.startswith("c:"):
        _, platform, chat = row.recipient.split(":", 2)
        return ChannelTarget(platform, chat)
    identity = accounts.get((row.member_id, row.platform))
    if identity is None or not identity.deliverable:
        return None
    return DirectTarget(identity.platform, identity.platform_user_id, identity.dm_chat_id)
