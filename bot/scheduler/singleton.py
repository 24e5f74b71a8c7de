"""Duties only one Roost process may do at a time, among any number sharing a database.

APScheduler allows one scheduler per job store; Telegram refuses two pollers of one bot;
two Discord gateway connections would each receive every event. So each such duty has a
lease in the database (`storage.leases`): the process holding it does the duty and renews it
at a third of its time; the others try to take it at the same pace. A holder killed with
kill -9 stops renewing, and another process takes the duty over within about 4/3 of the
lease. A holder that cannot reach the database stops the duty before its lease runs out,
so two never overlap; a duty that fails gives its lease up for another process to try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from storage.db import Database, Outage, unreachable
from storage.leases import hold, release

log = logging.getLogger("roost.processes")


class Singleton:
    def __init__(
        self,
        name: str,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        db: Database,
        clock: Clock,
        process: str,
        ttl: timedelta,
    ) -> None:
        self.name, self.work = name, work
        self.db, self.clock, self.process, self.ttl = db, clock, process, ttl
        self.task: asyncio.Task[None] | None = None
        self.outage = Outage(log, f"lease {name}")

    @property
    def holding(self) -> bool:
        return self.task is not None and not self.task.done()

    async def run(self, stopping: asyncio.Event) -> None:
        """Hold the lease and do the duty while holding it, until `stopping` is set."""
        beat = self.ttl.total_seconds() / 3
        until = None  # when the lease runs out, as this process last renewed it
        try:
            while not stopping.is_set():
                pause = beat
                try:
                    async with self.db.session() as session:
                        now = self.clock.now()
                        mine = await hold(session, self.name, self.process, now=now, ttl=self.ttl)
                    until = now + self.ttl if mine else None
                    self.outage.ok()
                except Exception as exc:
                    if not unreachable(exc):
                        log.exception("lease %s could not be renewed", self.name)
                    # Still ours until a third before it runs out (clocks may differ a little).
                    mine = until is not None and self.clock.now() < until - self.ttl / 3
                    pause = min(beat, self.outage.failed(exc))
                if mine and self.task is None:
                    log.info("this process now holds %s (%s)", self.name, self.process)
                    self.task = asyncio.create_task(self.work(), name=self.name)
                elif not mine and self.task is not None:
                    log.warning("%s: lease lost; stopping it here", self.name)
                    await self._stop()
                if self.task is not None and self.task.done():
                    await self._failed()
                    until = None
                    pause = max(pause, self.ttl.total_seconds())  # let another process try
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), pause)
        finally:
            if self.task is not None:
                await self._stop()
                with contextlib.suppress(Exception):
                    async with self.db.session() as session:
                        await release(session, self.name, self.process)

    async def _stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        self.task = None

    async def _failed(self) -> None:
        """The duty ended by itself (it should run until cancelled): say why, and give the
        lease up so another process can take it."""
        assert self.task is not None
        problem = self.task.exception() if not self.task.cancelled() else None
        log.error("%s stopped: %r; giving its lease up", self.name, problem, exc_info=problem)
        self.task = None
        with contextlib.suppress(Exception):
            async with self.db.session() as session:
                await release(session, self.name, self.process)
