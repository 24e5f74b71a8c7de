"""The one middleware chain every inbound event passes: logging, opt-out, rate limit, auth.

A middleware takes the context and the rest of the chain; it may act, short-circuit with a
reply, or re-route (`ctx.endpoint`). Roles are checked here, in the core, for every command,
action and form: a platform hiding a command from someone is never the check.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.events import TextReceived
from bot.router import Command, FormHandler, Handler, Role

log = logging.getLogger("roost.events")

Next = Callable[[], Awaitable[None]]
Middleware = Callable[["Call", Next], Awaitable[None]]

STOP_WORDS = frozenset({"stop", "unsubscribe", "cancel", "quit", "end", "opt out", "optout"})


@dataclass
class Endpoint:
    """What an event resolved to: a handler, the role it needs, and its command if any."""

    name: str
    handler: Handler
    role: Role = Role.MEMBER
    command: Command | None = None
    form: FormHandler | None = None


@dataclass
class Call:
    ctx: Context[Any]
    endpoint: Endpoint | None


async def log_event(call: Call, call_next: Next) -> None:
    """Logs the kind of event, where, who (member id) and how long; never what was written."""
    started = time.perf_counter()
    try:
        await call_next()
    finally:
        log.info(
            "%s %s member=%s endpoint=%s %.1fms",
            type(call.ctx.event).__name__,
            call.ctx.platform,
            call.ctx.member.id,
            call.endpoint.name if call.endpoint else "-",
            (time.perf_counter() - started) * 1000,
        )


def opt_out(stop: Endpoint, end_form: Callable[[Context[Any]], Awaitable[None]]) -> Middleware:
    """STOP and its synonyms, typed on their own, withdraw consent at once, whatever else is
    going on: a form in progress is abandoned too."""

    async def middleware(call: Call, call_next: Next) -> None:
        event = call.ctx.event
        if isinstance(event, TextReceived) and _normal(event.text) in STOP_WORDS:
            call.endpoint = stop
            await end_form(call.ctx)
        await call_next()

    return middleware


def rate_limit(per_minute: int) -> Middleware:
    """At most `per_minute` commands and presses per person; one polite warning, then silence
    until the window frees up."""
    window = timedelta(minutes=1)
    seen: dict[tuple[str, str], deque[Any]] = defaultdict(deque)
    warned: set[tuple[str, str]] = set()

    async def middleware(call: Call, call_next: Next) -> None:
        if call.endpoint is None:
            await call_next()
            return
        user = call.ctx.event.origin.user
        key = (user.platform, user.id)
        stamps = seen[key]
        while stamps and call.ctx.now - stamps[0] >= window:
            stamps.popleft()
        if len(stamps) >= per_minute:
            if key not in warned:
                warned.add(key)
                call.ctx.reply("You're going a little fast. Please wait a minute and try again.")
            return
        warned.discard(key)
        stamps.append(call.ctx.now)
        await call_next()

    return middleware


async def authorize(call: Call, call_next: Next) -> None:
    endpoint = call.endpoint
    if endpoint is None or call.ctx.role >= endpoint.role:
        await call_next()
        if endpoint and endpoint.role >= Role.HR and not call.ctx.audited:
            call.ctx.audit(endpoint.name)
        return
    log.info("refused %s to member=%s", endpoint.name, call.ctx.member.id)
    ctx = call.ctx
    what = ctx.cmd(endpoint.command.name) if endpoint.command else "that"
    ctx.reply(
        f"Sorry, {what} is only for the {endpoint.role.name.lower()} team. "
        f"Type {ctx.cmd('help')} to see what you can do."
    )


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split()).strip(".!")
