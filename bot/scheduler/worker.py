"""The delivery worker: claims outbox rows in batches and sends them through the adapters.

Every Roost process runs one. Adapters pace themselves to their platform's limits; the worker
decides what a failure means: a member who blocked the bot is marked and never retried, a
timeout that may have delivered becomes `unknown`, a 5xx or network error is retried with
backoff up to a limit, and Discord sends carry a nonce so a repeat never posts twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.adapter import Adapter, DeliveryError, Uncertain, Undeliverable
from bot.clock import Clock
from bot.messages import ChannelTarget, DirectTarget, Message, Sent, Target
from bot.settings import OutboxSettings
from storage.db import Database
from storage.models import Campaign, Delivery, Identity, Interaction, Member
from storage.outbox import claim, recover

log = logging.getLogger("roost.outbox")

# Builds what a campaign's row says: (session, campaign, row) -> message.
Composer = Callable[[AsyncSession, Campaign, Delivery], Awaitable[Message]]


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
            if not await self.drain_once():
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

    async def drain(self) -> int:
        """Send until nothing is due; the number of rows handled."""
        total = 0
        while handled := await self.drain_once():
            total += handled
        return total

    async def drain_once(self) -> int:
        async with self.db.session() as session:
            rows = await claim(
                session,
                batch=self.settings.batch,
                now=self.clock.now(),
                postgres=not self.db.is_sqlite,
            )
        if rows:
            await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: Delivery) -> None:
        async with self.db.session() as session:
            row = await session.merge(row)
            campaign = await session.get(Campaign, row.campaign_id)
            assert campaign is not None
            target = await self._target(session, row)
            if target is None:
                row.state, row.reason = "skipped", "unreachable"
                await session.commit()
                return
            adapter = self.adapters.get(row.platform)
            try:
                if adapter is None:
                    raise DeliveryError(f"{row.platform} is not running")
                message = await self.composers[campaign.kind](session, campaign, row)
                key = f"roost-{row.id}" if adapter.capabilities.idempotent_sends else None
                sent = await adapter.send(target, message, idempotency_key=key)
            except Undeliverable as exc:
                await self._unreachable(session, row, str(exc))
            except Uncertain as exc:
                row.state, row.reason = "unknown", str(exc)[:200]
            except DeliveryError as exc:
                self._retry_or_fail(row, str(exc))
            except Exception as exc:  # a bug in composing: keep the row, say why
                log.exception("delivery %s failed", row.id)
                self._retry_or_fail(row, f"error: {type(exc).__name__}")
            else:
                await self._sent(session, row, campaign, sent)
            await session.commit()

    async def _target(self, session: AsyncSession, row: Delivery) -> Target | None:
        if row.recipient.startswith("c:"):
            _, platform, chat = row.recipient.split(":", 2)
            return ChannelTarget(platform, chat)
        identity = (
            await session.exec(
                select(Identity).where(
                    Identity.member_id == row.member_id, Identity.platform == row.platform
                )
            )
        ).first()
        if identity is None or not identity.deliverable:
            return None
        return DirectTarget(identity.platform, identity.platform_user_id)

    async def _unreachable(self, session: AsyncSession, row: Delivery, reason: str) -> None:
        row.state, row.reason = "failed", f"unreachable: {reason}"[:200]
        identity = (
            await session.exec(
                select(Identity).where(
                    Identity.member_id == row.member_id, Identity.platform == row.platform
                )
            )
        ).first()
        if identity is not None:
            identity.deliverable, identity.undeliverable_reason = False, reason[:200]

    def _retry_or_fail(self, row: Delivery, reason: str) -> None:
        if row.attempts >= self.settings.max_attempts:
            row.state, row.reason = "failed", reason[:200]
            return
        row.state, row.reason = "pending", f"retrying: {reason}"[:200]
        row.next_attempt_at = self.clock.now() + timedelta(seconds=min(300, 2**row.attempts))

    async def _sent(
        self, session: AsyncSession, row: Delivery, campaign: Campaign, sent: Sent
    ) -> None:
        at = self.clock.now()
        row.state, row.reason, row.sent_at = "sent", None, at
        row.platform_message_id = sent.message_id
        if row.member_id is not None:
            session.add(
                Interaction(
                    member_id=row.member_id,
                    kind="delivered",
                    subject_type=campaign.subject_type,
                    subject_id=campaign.subject_id,
                    variant_id=row.variant_id,
                    platform=row.platform,
                    at=at,
                )
            )
            member = await session.get(Member, row.member_id)
            if member is not None:
                member.last_contact_at = at
