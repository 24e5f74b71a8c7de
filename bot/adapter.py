"""The contract between the core and a platform adapter.

An adapter translates: platform payloads into `bot.events`, and `bot.messages` into platform
calls. It holds a dispatch callable (composition), never the core's internals, and it decides
nothing: roles, consent and rate limits are the core's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.events import Event, Origin
from bot.messages import Form, Message, Sent, Target

Dispatch = Callable[[Event], Awaitable[None]]


class DeliveryError(Exception):
    """A send the platform refused for good."""


class Undeliverable(DeliveryError):
    """The member blocked the bot, closed DMs or left: stop trying on this platform."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    native_polls: bool = False
    modal_forms: bool = False
    max_form_fields: int = 0
    ephemeral_replies: bool = False
    invite_links: bool = False
    dm_needs_start: bool = False  # Telegram: a bot cannot DM someone who never started it
    max_text: int = 4000
    max_buttons: int = 25


class Adapter(Protocol):
    platform: str
    capabilities: Capabilities

    async def run(self, dispatch: Dispatch) -> None:
        """Feed events to `dispatch` until cancelled (or, for the console, until input ends)."""
        ...

    async def send(self, target: Target, message: Message) -> Sent: ...

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        """Answer the event `origin` came from, in place where the platform allows."""
        ...

    async def edit(self, sent: Sent, message: Message) -> None: ...

    async def delete(self, sent: Sent) -> None: ...

    async def open_form(self, origin: Origin, form: Form) -> None:
        """Show a modal; only called when `capabilities.modal_forms`."""
        ...
