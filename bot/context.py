"""The one object a handler receives: the event, who sent it, and what it may use.

What a handler asks for is queued, not done: the app carries it out only after the handler's
transaction commits, so a member never reads "done" about something that was rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.adapter import Capabilities
from bot.events import ChatKind, Event
from bot.kinds import CampaignKind, Signal
from bot.messages import (
    AnswerJoin,
    Ask,
    DirectTarget,
    Form,
    Message,
    Outbound,
    PublishHome,
    Replace,
    Say,
    Target,
)
from bot.reports import Query
from bot.router import Role
from bot.settings import Settings
from storage.models import AuditEntry, Identity, Member

E = TypeVar("E", bound=Event)
InviteLinks = Callable[[str, set[str]], Awaitable[dict[str, dict[str, str]]]]


@dataclass
class Context(Generic[E]):
    event: E
    session: AsyncSession
    settings: Settings
    now: datetime
    member: Member
    identity: Identity
    role: Role
    capabilities: Capabilities
    args: dict[str, str] = field(default_factory=dict)
    outbound: list[Outbound] = field(default_factory=list)
    followups: list[Event] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)  # for the app, after commit
    audited: bool = False
    refused: bool = False  # the input was refused (and nothing it asked for was kept)
    # The running platforms' ways in for an invite code (but those in the set), by platform.
    # Network calls: given by the app, so that handlers never hold an adapter.
    invite_links: InviteLinks | None = None
    # How a message shows on each running platform, for previews.
    describe: Callable[[Message], dict[str, str]] | None = None
    # Every campaign kind by name, for what lists campaigns of all kinds.
    kinds: Mapping[str, CampaignKind] = field(default_factory=dict)

    @property
    def member_id(self) -> int:
        assert self.member.id is not None
        return self.member.id

    @property
    def platform(self) -> str:
        return self.event.origin.platform

    @property
    def in_dm(self) -> bool:
        return self.event.origin.chat.kind is ChatKind.DM

    def query(self, options: Mapping[str, str] | None = None) -> Query:
        """What a report is built from, as of this event."""
        return Query(self.session, self.settings, self.now, options or {}, self.kinds)

    def cmd(self, name: str, args: str = "") -> str:
        """A command as the member types it on their platform (`/join`, `/roost join`)."""
        return f"{self.capabilities.command_prefix}{name}{' ' + args if args else ''}"

    def reply(self, message: Message | str, *, ephemeral: bool = False) -> None:
        if isinstance(message, str):
            message = Message(body=message)
        self.outbound.append(Say(message, ephemeral=ephemeral))

    def refuse(self, message: Message | str, *, ephemeral: bool = False) -> None:
        """Answer an input that cannot be taken, saying what was expected: nothing it asked
        for is kept, and an HR command refused this way is not an action to audit."""
        self.refused = True
        self.reply(message, ephemeral=ephemeral)

    def replace(self, message: Message) -> None:
        """Turn the message whose button was pressed into `message` (a next page), where the
        platform allows; elsewhere it is sent as a new message."""
        self.outbound.append(Replace(message))

    def send(self, target: Target, message: Message) -> None:
        self.outbound.append(Say(message, target=target))

    def dm(self, message: Message | str) -> None:
        """Answer privately: in place when already in a DM, else in the member's DM."""
        if isinstance(message, str):
            message = Message(body=message)
        if self.in_dm:
            self.reply(message)
        else:
            user = self.event.origin.user
            self.send(DirectTarget(user.platform, user.id), message)

    def ask(self, form: Form) -> None:
        """Open `form`: a modal where the platform has one, otherwise a short conversation."""
        self.outbound.append(Ask(form))

    def signal(self, signal: Signal) -> None:
        """Ask the core for something once this event's changes are committed."""
        self.signals.append(signal)

    def publish_home(self, message: Message) -> None:
        self.outbound.append(PublishHome(message))

    def answer_join(self, approve: bool) -> None:
        """Approve or decline the join request being handled."""
        self.outbound.append(AnswerJoin(approve))

    def audit(self, action: str, target: Member | None = None, **detail: Any) -> None:
        """Record an HR action. `detail` takes ids and settings, never names or free text."""
        self.session.add(
            AuditEntry(
                actor_member_id=self.member.id,
                action=action,
                target_member_id=target.id if target else None,
                detail=detail,
                platform=self.platform,
                at=self.now,
            )
        )
        self.audited = True
