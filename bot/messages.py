"""Outbound messages: what the core asks adapters to show. Each adapter renders them natively
(Discord embeds, Telegram HTML, Slack Block Kit, plain console text)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Style(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class ActionButton:
    label: str
    action: str
    value: str = ""
    style: Style = Style.DEFAULT


@dataclass(frozen=True, slots=True)
class LinkButton:
    label: str
    url: str


Button = ActionButton | LinkButton


@dataclass(frozen=True, slots=True)
class MessageField:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Image:
    url: str | None = None
    data: bytes | None = None
    alt: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Message:
    """Body is a small Markdown subset: **bold**, _italic_, `code`, [text](url), line breaks."""

    body: str = ""
    title: str | None = None
    fields: tuple[MessageField, ...] = ()
    buttons: tuple[Button, ...] = ()
    image: Image | None = None
    attachment: Attachment | None = None
    poll: PollSpec | None = None  # a native poll where the platform has them, else the buttons


class FieldKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    YES_NO = "yes_no"
    LINK = "link"  # a web address, http:// or https:// (typed like text everywhere)


@dataclass(frozen=True, slots=True)
class FormField:
    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    choices: tuple[str, ...] = ()
    required: bool = True
    default: str | None = None
    max_length: int = 200


@dataclass(frozen=True, slots=True)
class Form:
    """A modal where the platform has one; elsewhere the core asks field by field."""

    id: str
    title: str
    fields: tuple[FormField, ...]
    intro: str = ""
    submit_label: str = "Submit"


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class DirectTarget:
    platform: str
    user_id: str
    dm_chat_id: str | None = None  # the DM's channel, once learnt from a send: none to open


Target = ChannelTarget | DirectTarget


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a message landed, so it can be edited or deleted later."""

    platform: str
    chat_id: str
    message_id: str
    native_id: str | None = None  # e.g. the platform's poll id, which votes refer to


@dataclass(frozen=True, slots=True)
class PollSpec:
    """A poll as the core means it; native where the platform has polls."""

    question: str
    options: tuple[str, ...]
    multiple: bool = False
    anonymous: bool = False
    correct: int | None = None  # a quiz: the index of the right answer
    explanation: str | None = None


# What handling an event asks of the adapter it came from, queued and carried out only after
# the transaction commits.


@dataclass(frozen=True, slots=True)
class Say:
    """Send a message: where the event came from (`target` None) or somewhere else."""

    message: Message
    target: Target | None = None
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class Ask:
    """Open a form: a modal where the platform has one, else a conversation."""

    form: Form


@dataclass(frozen=True, slots=True)
class AnswerJoin:
    """Approve or decline the request to join that the event was."""

    approve: bool


@dataclass(frozen=True, slots=True)
class PublishHome:
    """Show `message` as the member's personal home view (Slack's App Home)."""

    message: Message


@dataclass(frozen=True, slots=True)
class Replace:
    """Show `message` in place of the one whose button was pressed, where the platform edits
    messages in place (`Capabilities.edit_in_place`); elsewhere it arrives as a new message."""

    message: Message


Outbound = Say | Ask | AnswerJoin | PublishHome | Replace
