"""Telegram's flood limits, kept by spacing sends evenly and pausing on a 429.

PTB's `AIORateLimiter` almost does this, but three things in it let 429s through: requests keep
taking limiter slots while a pause lasts and then all leave together when it ends; any request
finishing during a pause ends the pause for everyone; and its per-group bucket lets 20 posts
through at once and 20 more a minute later, where Telegram counts 20 in any minute. Here a pause
is a deadline that a send checks after taking its slot, and each group has a sliding window
that counts a post from when its answer came back (by then Telegram has surely counted it, however
long it took to get there). A 429 on a group pauses that group only, so a busy group never holds
up a campaign's DMs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

JSON = bool | dict[str, Any] | list[dict[str, Any]]
MARGIN = 0.1  # seconds added to every retry_after, as PTB does: the server's clock is not ours


@dataclass(slots=True)
class Post:
    """One post to a group: in flight until its answer came back."""

    answered_at: float = math.inf


class EvenPacer(BaseRateLimiter[int]):
    """At most `per_second` sends a second, evenly spaced; at most `group_per_minute` to a group
    in any `window` seconds; every `retry_after` waited out before the next send it concerns."""

    def __init__(
        self,
        per_second: float,
        group_per_minute: int = 20,
        max_retries: int = 5,
        window: float = 60.0,
    ):
        self._overall = AsyncLimiter(1, 1 / per_second)
        self._group_per_minute, self._window = group_per_minute, window
        self._posts: dict[int | str, list[Post]] = {}  # each group's posts in the window
        self._resume_at: dict[int | str | None, float] = {}  # None: every chat
        self._max_retries = max_retries

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
        group = _group(chat_id)
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        loop = asyncio.get_running_loop()
        while True:
            post = None if group is None else await self._group_turn(group)
            if post is None:
                await self._turn(paced=chat_id is not None)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                until = loop.time() + _seconds(exc) + MARGIN
                self._resume_at[group] = max(self._resume_at.get(group, 0.0), until)
            finally:
                if post is not None:
                    post.answered_at = loop.time()

    async def _turn(self, *, paced: bool) -> None:
        """An even slot outside any pause of every chat. A request that got its slot while a
        pause began waits for the pause and takes a new slot. Requests without a chat (getMe,
        answerCallbackQuery) are not spaced, only paused."""
        loop = asyncio.get_running_loop()
        while True:
            if (pause := self._resume_at.get(None, 0.0) - loop.time()) > 0:
                await asyncio.sleep(pause)
            if paced:
                await self._overall.acquire()
            if loop.time() >= self._resume_at.get(None, 0.0):
                return

    async def _group_turn(self, group: int | str) -> Post:
        """A place in the group's sliding window outside the group's own pause, then an even
        slot. A post still in flight counts as answered now: it can only be answered later."""
        loop = asyncio.get_running_loop()
        posts = self._posts.setdefault(group, [])
        while True:
            now = loop.time()
            posts[:] = [p for p in posts if now - p.answered_at < self._window]
            wait = self._resume_at.get(group, 0.0) - now
            if len(posts) >= self._group_per_minute:
                oldest = min(min(p.answered_at for p in posts), now)
                wait = max(wait, oldest + self._window - now)
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        post = Post()
        posts.append(post)  # before the even slot, so that concurrent posts see it
        await self._turn(paced=True)
        return post


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
