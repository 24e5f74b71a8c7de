"""The one middleware chain every inbound event passes: logging, opt-out, rate limit, auth.

A middleware takes the context and the rest of the chain; it may act, short-circuit with a
reply, or re-route (`ctx.endpoint`). Roles are checked here, in the core, for every command,
action and form: a platform hiding a command from someone is never the check.
"""

from __future__ import annotations

import logging
import time
import unicodedata
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.events import TextReceived
from bot.router import Command, FormHandler, Handler, Role

log = logging.getLogger("roost.events")

Next = Callable[[], Awaitable[None]]
Middleware = Callable[["Call", Next], Awaitable[None]]

# Typed on its own, each withdraws every consent at once. In the middle of a form the words
# that mean something else too ("End" is a place) are answers, and cancel or quit leave the
# form only: STOP, unsubscribe and opt out are never anything but an opt-out.
STOP_WORDS = frozenset({"stop", "unsubscribe", "opt out", "optout", "stopall", "stop all"})
SOFT_STOP_WORDS = frozenset({"cancel", "quit", "end"})
LEAVE_FORM = frozenset({"cancel", "quit"})
POLITE = frozenset({"please", "pls", "plz", "now", "thanks", "thank", "you", "thx", "asap"})
FORM_ANSWER = "form.answer"


@dataclass
class Endpoint:
    """What an event resolved to: a handler, the role it needs, and its command if any (a
    sub-command with the command it belongs to, and the text and options left for its
    arguments)."""

    name: str
    handler: Handler
    role: Role = Role.MEMBER
    command: Command | None = None
    form: FormHandler | None = None
    parent: Command | None = None
    text: str = ""
    options: Mapping[str, str] | None = None

    @property
    def typed(self) -> str:
        """The command as typed, without its arguments: `jobs invite`."""
        if self.command is None:
            return self.name
        return f"{self.parent.name} {self.command.name}" if self.parent else self.command.name


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
    """STOP and its synonyms, typed on their own (however written: `Stop please`, `ＳＴＯＰ`),
    withdraw consent at once, whatever else is going on: a form in progress is abandoned too.
    In a form, `cancel` and `quit` only leave it, and `end` is an answer like any other."""

    async def middleware(call: Call, call_next: Next) -> None:
        event = call.ctx.event
        if isinstance(event, TextReceived):
            word = stop_word(event.text)
            in_form = call.endpoint is not None and call.endpoint.name == FORM_ANSWER
            if word in STOP_WORDS or (word in SOFT_STOP_WORDS and not in_form):
                call.endpoint = stop
                await end_form(call.ctx)
            elif word in LEAVE_FORM and in_form:
                await end_form(call.ctx)
                call.ctx.reply(
                    "Left the form; nothing from it was saved. STOP stops all messages from us."
                )
                return
        await call_next()

    return middleware


def stop_word(text: str) -> str | None:
    """The opt-out word `text` amounts to, if that is all it says (give or take a please), in
    any width or case: `STOP`, `Stop please!`, `ＳＴＯＰ`, `Opt-Out` → stop, opt out."""
    if len(text) > 60:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold().replace("-", " ").replace("_", " ")
    words = ["".join(ch for ch in w if ch.isalnum()) for w in folded.split()]
    core = " ".join(w for w in words if w and w not in POLITE)
    return core if core in STOP_WORDS | SOFT_STOP_WORDS else None


def rate_limit(per_minute: int) -> Middleware:
    """At most `per_minute` commands and presses per person; one polite warning, then silence
    until the window frees up. Answering a form, field by field, is not counted."""
    window = timedelta(minutes=1)
    seen: dict[tuple[str, str], deque[Any]] = defaultdict(deque)
    warned: set[tuple[str, str]] = set()

    async def middleware(call: Call, call_next: Next) -> None:
        endpoint = call.endpoint
        if endpoint is None or endpoint.name.startswith("form.") or endpoint.form is not None:
            await call_next()  # a form's answers are one action, however many fields it has
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
        if endpoint and endpoint.role >= Role.HR and not (call.ctx.audited or call.ctx.refused):
            call.ctx.audit(endpoint.name)
        return
    log.info("refused %s to member=%s", endpoint.name, call.ctx.member.id)
    ctx = call.ctx
    what = ctx.cmd(endpoint.typed) if endpoint.command else "that"
    ctx.refuse(
        f"Sorry, {what} is only for the {endpoint.role.name.lower()} team. "
        f"Type {ctx.cmd('help')} to see what you can do."
    )
