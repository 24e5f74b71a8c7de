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


class Pacer:
    def __init__(self, minute: float = 60.0) -> None:
        self.minute = minute
        self._tiers = {m: AsyncLimiter(n, minute) for m, n in TIERS.items()}
        self._channels: dict[str, AsyncLimiter] = {}
        self._paused: dict[str, float] = {}

    async def wait(self, method: str, channel: str | None = None) -> None:
        keys = [method] + ([f"channel:{channel}"] if channel else [])
        # A deadline, not an event to wait for; another 429 meanwhile may move it later.
        while (delay := max(self._paused.get(k, 0.0) for k in keys) - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)
        if method in self._tiers:
            await self._tiers[method].acquire()
        if method == "chat.postMessage" and channel:
            limiter = self._channels.setdefault(channel, AsyncLimiter(CHANNEL_BURST, CHANNEL_BURST))
            await limiter.acquire()

    def pause(self, keys: list[str], seconds: float) -> None:
        until = time.monotonic() + seconds
        for key in keys:
            self._paused[key] = max(self._paused.get(key, 0.0), until)


class PausingRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's 429 handler (wait out Retry-After, then retry), which also pauses every
    other call to the same method or channel for that long."""

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
        if response is not None:
            header = next(
                (v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"]
            )
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            keys = [method]
            channel = _channel(request)
            if method == "chat.postMessage" and channel:
                keys.append(f"channel:{channel}")
            self.pacer.pause(keys, float(header[0]) + 0.05)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


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
