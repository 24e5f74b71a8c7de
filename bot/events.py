"""Inbound events: what adapters tell the core. Plain frozen dataclasses, no platform types.

The core stamps every event with its own clock, so events carry no time. Nothing a member
writes is stored: `TextReceived.text` lives only as long as the event is being handled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class ChatKind(StrEnum):
    DM = "dm"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class User:
    platform: str
    id: str
    name: str | None = None
    handle: str | None = None
    platform_roles: frozenset[str] = frozenset()  # e.g. a Discord role, a Slack user group


@dataclass(frozen=True, slots=True)
class Chat:
    platform: str
    id: str
    kind: ChatKind


@dataclass(frozen=True, slots=True)
class Origin:
    """Who did it and where. `interaction` is the adapter's own opaque token for answering
    (a Discord interaction, a Slack response_url); the core only hands it back. `event_id` is
    the platform's own id for the event, the same when the platform sends it again: the core
    handles an id once, whichever Roost process it reaches."""

    user: User
    chat: Chat
    interaction: str | None = None
    event_id: str | None = None

    @property
    def platform(self) -> str:
        return self.user.platform


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    origin: Origin


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandInvoked(Event):
    """`/name text`; `options` when the platform parsed named arguments (Discord, Slack forms)."""

    name: str
    text: str = ""
    options: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionPressed(Event):
    action: str
    value: str = ""
    message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FormSubmitted(Event):
    form: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextReceived(Event):
    """A plain message addressed to the bot (a DM, or a reply in a conversation)."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(Event):
    """Joined the community; `invite` is the platform's invite reference when it tells."""

    invite: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JoinRequested(Event):
    """Asked to join through an invite that needs approval; answered with `AnswerJoin`."""

    invite: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(Event):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PollAnswered(Event):
    poll: str  # the platform's poll id
    options: tuple[int, ...]  # option positions, from 0
    change: str = "set"  # set: the whole answer (Telegram); add or remove: one option (Discord)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberActive(Event):
    """The member said something somewhere; only the fact and its time are kept."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HomeOpened(Event):
    """The member opened the app's home (Slack's App Home tab)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FirstContact(Event):
    """Raised by the core, not an adapter: the first time Roost hears from an account. Its
    handlers run before the event that made the contact, with that event's context."""
