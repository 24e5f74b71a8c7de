"""Acting as Telegram users toward the bot: what a test does instead of a phone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.emulators.telegram.server import COMMUNITY_ID, TelegramEmulator, TgUser
from tests.emulators.telegram.spec import build


@dataclass
class TelegramUser:
    emulator: TelegramEmulator
    account: TgUser

    @property
    def id(self) -> int:
        return self.account.id

    async def send(self, text: str, *, in_group: bool = False) -> int:
        """A text message; a leading /command gets its bot_command entity as Telegram sets it."""
        emu = self.emulator
        chat_id = COMMUNITY_ID if in_group else self.id
        if not in_group:
            self.account.started = True
        entities = None
        if text.startswith("/"):
            length = len(text.split()[0])
            entities = [build("MessageEntity", type="bot_command", offset=0, length=length)]
        message = build(
            "Message",
            message_id=next(emu._message_ids[chat_id]),
            date=int(time.time()),
            chat=emu.chat_json(chat_id),
            from_=self.account.json(),
            text=text,
            entities=entities,
        )
        return await emu.push("message", message)

    async def press(self, label: str, message: dict[str, Any] | None = None) -> int:
        """Press the inline button labelled `label` on `message` (default: the newest one)."""
        message = message or self.last(with_buttons=True)
        for row in message["reply_markup"]["inline_keyboard"]:
            for button in row:
                if button["text"] == label:
                    query = build(
                        "CallbackQuery",
                        id=str(time.monotonic_ns()),
                        from_=self.account.json(),
                        chat_instance=str(message["chat"]["id"]),
                        message=message,
                        data=button["callback_data"],
                    )
                    return await self.emulator.push("callback_query", query)
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        raise AssertionError(f"no button {label!r}; the message has {labels}")

    async def answer_poll(self, poll_id: str, options: list[int]) -> int:
        poll = self.emulator.polls[poll_id]["poll"]
        answer = build(
            "PollAnswer",
            poll_id=poll_id,
            user=self.account.json(),
            option_ids=options,
            option_persistent_ids=[poll["options"][i]["persistent_id"] for i in options],
        )
        return await self.emulator.push("poll_answer", answer)

    async def join(self, link: str | None = None) -> int:
        """Join the community group, through an invite link when given."""
        invite = self.emulator.links.get(link) if link else None
        if invite is not None and invite["creates_join_request"]:
            self.emulator.group_members[self.id] = "pending"
            self.emulator.pending_link[self.id] = invite
            request = build(
                "ChatJoinRequest",
                chat=self.emulator.chat_json(COMMUNITY_ID),
                from_=self.account.json(),
                user_chat_id=self.id,
                date=int(time.time()),
                invite_link=invite,
            )
            return await self.emulator.push("chat_join_request", request)
        await self.emulator._set_status(self.account, "member", invite)
        return self.emulator.updates[-1]["update_id"] if self.emulator.updates else 0

    async def leave(self) -> None:
        await self.emulator._set_status(self.account, "left")

    def block(self) -> None:
        self.account.blocked = True

    def messages(self) -> list[dict[str, Any]]:
        """What the bot sent to this user's private chat, oldest first."""
        return [
            m
            for (chat, _), m in sorted(self.emulator.messages.items())
            if chat == self.id and m["from"]["id"] == self.emulator.bot["id"]
        ]

    def last(self, *, with_buttons: bool = False) -> dict[str, Any]:
        found = [m for m in self.messages() if not with_buttons or m.get("reply_markup")]
        if not found:
            raise AssertionError(f"the bot sent {self.account.first_name} nothing")
        return found[-1]

    def text(self) -> str:
        """Every bot message to this user as one string (text or caption)."""
        return "\n".join(m.get("text") or m.get("caption") or "" for m in self.messages())


def add_user(emulator: TelegramEmulator, first_name: str, *, admin: bool = False) -> TelegramUser:
    user_id = 5000 + len(emulator.users) + 1
    account = TgUser(user_id, first_name, username=first_name.lower())
    emulator.users[user_id] = account
    if admin:
        emulator.admins.add(user_id)
        emulator.group_members[user_id] = "administrator"
    return TelegramUser(emulator, account)


async def wait_for(
    emulator: TelegramEmulator, condition: Callable[[], bool], seconds: float = 5
) -> None:
    """Until `condition()` holds, woken by every request the bot makes; no polling sleeps."""
    async with asyncio.timeout(seconds):
        async with emulator._changed:
            await emulator._changed.wait_for(condition)
