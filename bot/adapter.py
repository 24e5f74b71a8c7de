"""The contract between the core and a platform adapter.

An adapter translates: platform payloads into `bot.events`, and `bot.messages` into platform
calls. It holds a dispatch callable (composition), never the core's internals, and it decides
nothing: roles, consent and rate limits are the core's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from bot.events import Event, Origin
from bot.messages import Form, Message, PollSpec, Sent, Target
from bot.router import Arg

Dispatch = Callable[[Event], Awaitable[None]]


class StartupError(Exception):
    """The platform refused how Roost is set up (a webhook address, a token): one sentence
    for the operator, and Roost does not start."""


class DeliveryError(Exception):
    """A send the platform refused for good."""


class Undeliverable(DeliveryError):
    """The member blocked the bot, closed DMs or left: stop trying on this platform."""


class Uncertain(DeliveryError):
    """The send may or may not have arrived (it timed out): resending could duplicate it."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    native_polls: bool = False
    modal_forms: bool = False
    max_form_fields: int = 0
    ephemeral_replies: bool = False
    idempotent_sends: bool = False  # a repeated send with the same key posts once (Discord)
    invite_links: bool = False
    dm_needs_start: bool = False  # Telegram: a bot cannot DM someone who never started it
    home: bool = False  # a personal home view (Slack's App Home)
    edit_in_place: bool = False  # a pressed button's message can become the next page
    command_prefix: str = "/"  # how members type a command: "/join", or "/roost join" on Slack
    max_text: int = 4000
    max_buttons: int = 25
    max_upload: int = 2**30  # bytes of a file one message may carry


@dataclass(frozen=True, slots=True)
class MenuEntry:
    name: str
    help: str
    args: tuple[Arg, ...] = ()


@dataclass(frozen=True, slots=True)
class CommandMenu:
    """What a platform's command menu should show: member commands to everyone, HR commands
    only where the platform can scope them (HR chats, a role). Showing is not permitting:
    the core checks roles on every command regardless."""

    member: tuple[MenuEntry, ...]
    hr: tuple[MenuEntry, ...]
    hr_holders: tuple[str, ...]  # `platform:id` or `platform:role` entries from [roles]
    role_holders: tuple[str, ...] = ()  # every entry of [roles], whatever the role


class Adapter(Protocol):
    platform: str
    capabilities: Capabilities
    listens: bool  # events come through one connection only one process may hold

    async def run(self, dispatch: Dispatch, menu: CommandMenu | None) -> None:
        """Connect for sending, publish `menu` (None: a delivery-only process publishes
        nothing), and feed to `dispatch` whatever the platform calls Roost's web server with
        (webhooks), until cancelled (or, for the console, until input ends)."""
        ...

    async def listen(self) -> None:
        """Receive events through the platform's one inbound connection (long polling, a
        gateway, a socket) until cancelled. Only where `listens`, and only in the process
        holding the platform's lease; it may start before `run` is ready, and waits for it."""
        ...

    def routes(self) -> Sequence[web.RouteDef]:
        """HTTP endpoints to mount on Roost's web server (webhooks); usually none."""
        ...

    def describe(self, message: Message) -> str:
        """How `message` shows here, in a sentence for HR's preview: what is sent, and what
        the platform cuts or moves."""
        ...

    async def invite_links(self, code: str) -> dict[str, str]:
        """This platform's ways in for an invite code, by kind (e.g. a deep link, a group
        invite link named after the code); empty where the platform has none."""
        ...

    @property
    def community(self) -> str | None:
        """The community's shared channel here (a group, a channel), where campaigns post."""
        ...

    async def send(
        self, target: Target, message: Message, *, idempotency_key: str | None = None
    ) -> Sent:
        """Post `message`; where the platform deduplicates, `idempotency_key` makes a repeat
        of the same send return the first message instead of posting twice."""
        ...

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        """Answer the event `origin` came from, in place where the platform allows."""
        ...

    async def edit(self, sent: Sent, message: Message) -> None: ...

    async def delete(self, sent: Sent) -> None: ...

    async def open_form(self, origin: Origin, form: Form) -> None:
        """Show a modal; only called when `capabilities.modal_forms`."""
        ...

    async def send_poll(self, target: Target, poll: PollSpec) -> Sent:
        """Post a native poll; only called when `capabilities.native_polls`. `Sent.native_id`
        is the id that `PollAnswered.poll` will carry."""
        ...

    async def answer_join(self, origin: Origin, *, approve: bool) -> None:
        """Approve or decline the join request `origin` came from."""
        ...

    async def publish_home(self, origin: Origin, message: Message) -> None:
        """Show `message` as the member's home view; only called when `capabilities.home`."""
        ...
