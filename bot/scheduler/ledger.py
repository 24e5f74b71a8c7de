"""What the delivery worker writes while it sends, in waves: the rows whose requests go out
now are marked `sending`, and the outcomes of the sends that came back are recorded, both
in one transaction per wave (a group commit).

So a row is `sending` only while its own request may be on the wire, or for the few
milliseconds until its outcome's wave commits: a worker killed mid-campaign leaves uncertain
at most the sends it had in flight. Outcomes are kept and written again until the database
takes them: what was sent is never forgotten because the database was away for a while.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.messages import DirectTarget, Message, Sent, Target
from storage.campaigns import settled
from storage.content import tally
from storage.db import Database, Outage, unreachable
from storage.models import Campaign, Delivery, Identity, Interaction, Member
from storage.models.states import DeliveryState, Fact
from storage.outbox import mark_sending

log = logging.getLogger("roost.outbox")


@dataclass(frozen=True)
class Plan:
    row: Delivery
    campaign: Campaign
    target: Target | None
    message: Message | None
    problem: str | None
    skip: str | None = None  # why nothing is sent (else: the member is unreachable)


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    state: str  # sent | retry | release | unreachable | unknown | skipped
    reason: str | None
    sent: Sent | None = None


WAITS = ("retry", "release")  # outcomes after which the row waits to be sent again

# What a failed send becomes: pending again after a backoff, or failed after the last try.
RetryPolicy = Callable[[Delivery, str], dict[str, object]]


class Ledger:
    def __init__(
        self, db: Database, worker: str, clock: Clock, retry: RetryPolicy, outage: Outage
    ) -> None:
        self.db, self.worker, self.clock, self.retry, self.outage = db, worker, clock, retry, outage
        self._marks: list[tuple[int, asyncio.Future[bool]]] = []
        self._outcomes: list[tuple[Outcome, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.recorded = 0  # rows whose outcome is recorded since start
        self._progress = asyncio.Condition()

    async def wait_recorded(self, count: int) -> None:
        async with self._progress:
            await self._progress.wait_for(lambda: self.recorded >= count)

    async def mark(self, row_id: int) -> bool:
        """Mark the row `sending`, committed, before its request goes out: whether it is still
        this worker's to send. Raises when the database cannot be reached (nothing is sent)."""
        marked: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._marks.append((row_id, marked))
        self._write_soon()
        return await marked

    async def record(self, outcome: Outcome) -> None:
        """Record a send's outcome; returns once it is committed."""
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((outcome, written))
        self._write_soon()
        await written

    def _write_soon(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._marks or self._outcomes:
            marks, self._marks = self._marks, []
            outcomes, self._outcomes = self._outcomes, []
            try:
                async with self.db.engine.begin() as conn:  # Core: this is the hot path
                    ids = [row_id for row_id, _ in marks]
                    mine = await mark_sending(conn, ids, worker=self.worker) if ids else set()
                    if outcomes:
                        await self._apply(conn, [outcome for outcome, _ in outcomes])
            except Exception as exc:
                for _, marked in marks:  # not sent: the worker hands these rows back
                    marked.set_exception(exc)
                if not unreachable(exc):
                    log.exception("recording outcomes failed")
                    for _, written in outcomes:
                        written.set_exception(exc)
                    continue
                self._outcomes[:0] = outcomes  # kept, and written again after a pause
                await asyncio.sleep(self.outage.failed(exc))
                continue
            self.outage.ok()
            for row_id, marked in marks:
                marked.set_result(row_id in mine)
            for _, written in outcomes:
                written.set_result(None)
            if outcomes:
                async with self._progress:
                    self.recorded += len(outcomes)
                    self._progress.notify_all()

    async def _apply(self, conn: AsyncConnection, outcomes: list[Outcome]) -> None:
        """The wave's outcomes as executemany statements: rows updated by primary key from
        what the claim returned, never loaded again; a fact per delivery; what was learnt of
        DMs; who was contacted."""
        at = self.clock.now()
        changes, facts, contacted, gone, learnt = [], [], [], [], []
        for outcome in outcomes:
            row, campaign = outcome.plan.row, outcome.plan.campaign
            reason = (outcome.reason or "")[:200] or None
            change: dict[str, object] = {
                "row": row.id,
                "state": outcome.state,
                "reason": reason,
                "sent_at": None,
                "message": None,
                "next": None,
                "attempts": row.attempts,
            }
            if outcome.state == DeliveryState.SENT and outcome.sent is not None:
                sent = outcome.sent
                change.update(reason=None, sent_at=at, message=sent.message_id)
                target = outcome.plan.target
                if isinstance(target, DirectTarget) and sent.chat_id not in (
                    target.dm_chat_id,
                    target.user_id,  # Telegram's DM is the user's own id: nothing to learn
                ):
                    learnt.append({"m": row.member_id, "p": row.platform, "dm": sent.chat_id})
                if row.member_id is not None:
                    contacted.append(row.member_id)
                    facts.append(_delivered(row, campaign, at))
            elif outcome.state == "retry":
                decided = self.retry(row, reason or "failed")
                change.update(
                    state=decided["state"],
                    reason=decided["reason"],
                    next=decided.get("next_attempt_at"),
                )
            elif outcome.state == "release":  # never went out: as if never claimed
                change.update(state=DeliveryState.PENDING, attempts=row.attempts - 1)
            elif outcome.state == "unreachable":
                change.update(state=DeliveryState.FAILED, reason=f"unreachable: {reason}"[:200])
                gone.append({"m": row.member_id, "p": row.platform, "why": reason})
            changes.append(change)
        await conn.execute(RECORD, changes)
        if facts:
            await conn.execute(insert(FACTS), facts)
            await tally(conn, facts)
        if learnt:  # a DM's channel, so the next send there needs no request to open it
            await conn.execute(LEARN, learnt)
        if gone:
            await conn.execute(GONE, gone)
        if contacted:
            await conn.execute(
                update(MEMBERS).where(MEMBERS.c.id.in_(contacted)).values(last_contact_at=at)
            )
        touched = sorted({o.plan.row.campaign_id for o in outcomes if o.state not in WAITS})
        if touched:  # a campaign whose last row this wave recorded is done
            await conn.execute(settled(touched))


DELIVERIES, FACTS = Delivery.__table__, Interaction.__table__  # type: ignore[attr-defined]
ACCOUNTS, MEMBERS = Identity.__table__, Member.__table__  # type: ignore[attr-defined]
RECORD = (
    update(DELIVERIES)
    .where(DELIVERIES.c.id == bindparam("row"))
    .values(
        state=bindparam("state"),
        reason=bindparam("reason"),
        sent_at=bindparam("sent_at"),
        platform_message_id=bindparam("message"),
        next_attempt_at=bindparam("next"),
        attempts=bindparam("attempts"),
    )
)
LEARN = (
    update(ACCOUNTS)
    .where(ACCOUNTS.c.member_id == bindparam("m"), ACCOUNTS.c.platform == bindparam("p"))
    .values(dm_chat_id=bindparam("dm"))
)
GONE = (
    update(ACCOUNTS)
    .where(ACCOUNTS.c.member_id == bindparam("m"), ACCOUNTS.c.platform == bindparam("p"))
    .values(deliverable=False, undeliverable_reason=bindparam("why"))
)


def _delivered(row: Delivery, campaign: Campaign, at: datetime) -> dict[str, object]:
    return {
        "member_id": row.member_id,
        "kind": Fact.DELIVERED,
        "subject_type": campaign.subject_type,
        "subject_id": campaign.subject_id,
        "variant_id": row.variant_id,
        "platform": row.platform,
        "at": at,
    }


def retry_or_fail(clock: Clock, max_attempts: int) -> RetryPolicy:
    def decide(row: Delivery, reason: str) -> dict[str, object]:
        if row.attempts >= max_attempts:
            return {"state": DeliveryState.FAILED, "reason": reason[:200]}
        return {
            "state": DeliveryState.PENDING,
            "reason": f"retrying: {reason}"[:200],
            "next_attempt_at": clock.now() + timedelta(seconds=min(300, 2**row.attempts)),
        }

    return decide
