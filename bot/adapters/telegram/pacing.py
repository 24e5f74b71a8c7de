"""Telegram's flood limits, kept by spacing sends evenly and pausing every send on a 429.

PTB's `AIORateLimiter` almost does this, but two things in it let bursts through after a 429:
requests keep taking limiter slots while the pause lasts and then all leave together when it
ends, and any request finishing during the pause ends the pause for everyone. Here the pause is a
deadline: a send that got its slot while a pause began goes back to wait, so after a pause sends
resume one slot at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

JSON = bool | dict[str, Any] | list[dict[str, Any]]
MARGIN = 0.1  # seconds added to every retry_after, as PTB does: the server's clock is not ours


class EvenPacer(BaseRateLimiter[int]):
    """Sends at most `per_second` a second, evenly spaced; at most `group_per_minute` to each
    group (in bursts, as PTB's default allows); waits out every `retry_after` before any send."""

    def __init__(self, per_second: float, group_per_minute: int = 20, max_retries: int = 5):
        self._overall = AsyncLimiter(1, 1 / per_second)
        self._group_per_minute = group_per_minute
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._resume_at = 0.0

    async def initialize(self) -> None:
        """Nothing to set up: the limiters are created lazily."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSON:
        chat_id = data.get("chat_id")
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._turn(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                wait = _seconds(exc) + MARGIN
                self._resume_at = max(self._resume_at, asyncio.get_running_loop().time() + wait)

    async def _turn(self, chat_id: object) -> None:
        """Waits until this request may go: its group's allowance, then an even slot outside
        any pause. Requests without a chat (getMe, getUpdates) wait only for pauses."""
        if (group := _group(chat_id)) is not None:
            limiter = self._groups.setdefault(group, AsyncLimiter(self._group_per_minute, 60))
            await limiter.acquire()
        loop = asyncio.get_running_loop()
        while True:
            if (pause := self._resume_at - loop.time()) > 0:
                await asyncio.sleep(pause)
            if chat_id is not None:
                await self._overall.acquire()
            if loop.time() >= self._resume_at:
                return


def _group(chat_id: object) -> int | str | None:
    """Groups and channels (negative ids and @usernames) have limits of their own."""
    if chat_id is None:
        return None
    try:
        number = int(str(chat_id))
    except ValueError:
        return str(chat_id)
    return number if number < 0 else None


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int becomes a timedelta one day
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
