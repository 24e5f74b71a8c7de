"""Keeping under Slack's rate limits: method tiers per workspace, about one message a second
per channel, and a shared pause after any 429 so no call goes out during its Retry-After."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiolimiter import AsyncLimiter
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

TIERS = {  # calls per minute, Slack's published tiers for the methods Roost uses
    "chat.postEphemeral": 100,
    "chat.update": 50,
    "chat.delete": 50,
    "conversations.open": 50,
    "users.info": 100,
    "usergroups.users.list": 20,
    "views.open": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}
CHANNEL_BURST = 5  # chat.postMessage: one a second per channel, short bursts allowed
TIER_BURST = 2  # a tier's calls: bursts this small, so no minute ever holds more than allowed


class Pacer:
    def __init__(self, minute: float = 60.0) -> None:
        self.minute = minute
        # A bucket of n a minute lets n through at once and more soon after: 2n in a minute.
        # A small burst at (n - burst) a minute never exceeds n in any minute.
        self._tiers = {
            m: AsyncLimiter(TIER_BURST, minute * TIER_BURST / (n - TIER_BURST))
            for m, n in TIERS.items()
        }
        self._channels: dict[str, AsyncLimiter] = {}
        self._paused: dict[str, float] = {}

    async def wait(self, method: str, channel: str | None = None) -> None:
        """Until a call may go out: a slot in its tier and channel, then no pause in force.
        The pause is checked last, so nothing a limiter releases slips into a 429's window."""
        if method in self._tiers:
            await self._tiers[method].acquire()
        if method == "chat.postMessage" and channel:
            limiter = self._channels.setdefault(channel, AsyncLimiter(CHANNEL_BURST, CHANNEL_BURST))
            await limiter.acquire()
        keys = [method] + ([f"channel:{channel}"] if channel else [])
        # A deadline, not an event to wait for; another 429 meanwhile may move it later.
        while (delay := max(self._paused.get(k, 0.0) for k in keys) - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    def pause(self, keys: list[str], seconds: float) -> None:
        until = time.monotonic() + seconds
        for key in keys:
            self._paused[key] = max(self._paused.get(key, 0.0), until)


class PausingRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 retry, made to queue with everything else: the Retry-After pauses
    every call to the same method (or channel), and the retry itself waits at the pacer like
    a new call, so no request goes out inside a window and the retries don't stampede."""

    def __init__(self, pacer: Pacer, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate limited without a response")
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        channel = _channel(request) if method == "chat.postMessage" else None
        self.pacer.pause([method] + ([f"channel:{channel}"] if channel else []), float(header[0]))
        state.next_attempt_requested = True
        await self.pacer.wait(method, channel)
        state.increment_current_attempt()


def _channel(request: HttpRequest) -> str | None:
    params: Any = request.body_params
    if params is None and request.data:
        try:
            params = json.loads(request.data)
        except ValueError:
            return None
    return (
        str(params.get("channel")) if isinstance(params, dict) and params.get("channel") else None
    )
