"""Telegram updates as core events. Nothing a member writes in the group is kept: a group
message becomes `MemberActive`, a timestamp."""

from __future__ import annotations

import dataclasses

from telegram import Chat as TgChat
from telegram import Update
from telegram import User as TgUser

from bot.events import (
    ActionPressed,
    Chat,
    ChatKind,
    CommandInvoked,
    Event,
    JoinRequested,
    MemberActive,
    MemberJoined,
    MemberLeft,
    Origin,
    PollAnswered,
    TextReceived,
    User,
)

PLATFORM = "telegram"
PRESENT = {"member", "administrator", "creator", "restricted"}


def user_of(user: TgUser, admins: set[int]) -> User:
    roles = frozenset({"group_admin"}) if user.id in admins else frozenset()
    return User(
        PLATFORM, str(user.id), name=user.full_name, handle=user.username, platform_roles=roles
    )


def chat_of(chat: TgChat) -> Chat:
    kind = ChatKind.DM if chat.type == TgChat.PRIVATE else ChatKind.CHANNEL
    return Chat(PLATFORM, str(chat.id), kind)


def to_event(update: Update, bot_username: str, admins: set[int]) -> Event | None:
    """The core event of an update, carrying its update id: Telegram sends an update again
    when its webhook answered slowly or a poller died before confirming it."""
    event = _event(update, bot_username, admins)
    if event is None:
        return None
    origin = dataclasses.replace(event.origin, event_id=str(update.update_id))
    return dataclasses.replace(event, origin=origin)


def _event(update: Update, bot_username: str, admins: set[int]) -> Event | None:
    if (query := update.callback_query) is not None:
        if query.message is None:
            return None
        action, _, value = (query.data or "").partition("|")
        origin = Origin(user_of(query.from_user, admins), chat_of(query.message.chat))
        return ActionPressed(
            origin=origin, action=action, value=value, message_id=str(query.message.message_id)
        )
    if (message := update.message) is not None and message.from_user is not None:
        origin = Origin(user_of(message.from_user, admins), chat_of(message.chat))
        command = _command(message.text or "", message.entities, bot_username)
        if command is not None:
            name, rest = command
            return CommandInvoked(origin=origin, name=name, text=rest)
        if message.chat.type == TgChat.PRIVATE and message.text:
            return TextReceived(origin=origin, text=message.text)
        return MemberActive(origin=origin)
    if (change := update.chat_member) is not None:
        origin = Origin(user_of(change.new_chat_member.user, admins), chat_of(change.chat))
        was, now = (
            change.old_chat_member.status in PRESENT,
            change.new_chat_member.status in PRESENT,
        )
        if now and not was:
            invite = change.invite_link.name if change.invite_link else None
            return MemberJoined(origin=origin, invite=invite)
        if was and not now:
            return MemberLeft(origin=origin)
        return None
    if (request := update.chat_join_request) is not None:
        origin = Origin(user_of(request.from_user, admins), chat_of(request.chat))
        invite = request.invite_link.name if request.invite_link else None
        return JoinRequested(origin=origin, invite=invite)
    if (answer := update.poll_answer) is not None and answer.user is not None:
        origin = Origin(
            user_of(answer.user, admins), Chat(PLATFORM, str(answer.user.id), ChatKind.DM)
        )
        return PollAnswered(origin=origin, poll=answer.poll_id, options=tuple(answer.option_ids))
    return None


def _command(text: str, entities: tuple[object, ...], bot_username: str) -> tuple[str, str] | None:
    """`/name@bot rest` → (name, rest) when the first entity is a bot_command at offset 0."""
    first = entities[0] if entities else None
    if (
        first is None
        or getattr(first, "type", None) != "bot_command"
        or getattr(first, "offset", 1)
    ):
        return None
    length = int(getattr(first, "length", 0))
    name, _, target = text[1:length].partition("@")
    if target and target.lower() != bot_username.lower():
        return None  # addressed to another bot in the group
    return name.lower(), text[length:].strip()
