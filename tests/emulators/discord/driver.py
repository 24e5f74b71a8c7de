"""Acting as Discord members toward the bot: join through invites, run slash commands, press
buttons, submit modals, vote in polls, leave, close DMs."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from tests.emulators.discord import objects as o
from tests.emulators.discord.server import DiscordEmulator
from tests.emulators.discord.spec import check_object


@dataclass
class DiscordMember:
    emulator: DiscordEmulator
    id: str
    name: str

    @property
    def account(self) -> dict[str, Any]:
        return self.emulator.users[self.id]

    async def join(self, invite_code: str | None = None, *, dispatch: bool = True) -> None:
        """Join the guild, through an invite (its use count goes up, as on Discord)."""
        emu = self.emulator
        if invite_code is not None:
            emu.invites[invite_code]["uses"] += 1
        emu.members[self.id] = o.member(self.account, [])
        check_object("GuildMemberResponse", emu.members[self.id])
        if dispatch:
            await emu.dispatch(
                "GUILD_MEMBER_ADD", {**emu.members[self.id], "guild_id": emu.guild_id}
            )

    async def leave(self) -> None:
        emu = self.emulator
        emu.members.pop(self.id, None)
        await emu.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": emu.guild_id, "user": self.account})

    def close_dms(self) -> None:
        self.emulator.closed_dms.add(self.id)

    async def slash(self, name: str, *, in_guild: bool = True, **options: str) -> dict[str, Any]:
        """A slash command in the server (guild commands exist only there, as on Discord)."""
        command = self.emulator.commands[name]
        data = {
            "id": command["id"],
            "name": name,
            "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]  # as Discord marks guild commands
        return await self._interact(2, data, in_guild=in_guild)

    async def press(self, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        message = message or self.last(with_buttons=True)
        for row in message["components"]:
            for button in row["components"]:
                if button.get("label") == label and "custom_id" in button:
                    data = {"custom_id": button["custom_id"], "component_type": 2}
                    return await self._interact(3, data, message=message)
        labels = [b.get("label") for row in message["components"] for b in row["components"]]
        raise AssertionError(f"no button {label!r} in {labels}")

    async def submit(self, values: dict[str, str]) -> dict[str, Any]:
        """Submit the newest modal shown to this member, from where it was opened (as on
        Discord: a modal opened in the server is submitted in the server, roles and all)."""
        modal = self.modal()
        opened = next(
            i
            for i in reversed(self.emulator.interactions.values())
            if i["member"] == self.id and i.get("modal") is modal
        )
        in_guild = opened["channel_id"] == self.emulator.channel_id
        rows = []
        for component in modal["components"]:
            inner = component["components"][0] if component["type"] == 1 else component["component"]
            value = values.get(inner["custom_id"], "")
            if inner["type"] == 4:
                rows.append(
                    {
                        "type": 1,
                        "components": [
                            {"type": 4, "custom_id": inner["custom_id"], "value": value}
                        ],
                    }
                )
            else:
                rows.append(
                    {
                        "type": 18,
                        "component": {
                            "type": inner["type"],
                            "custom_id": inner["custom_id"],
                            "values": [value] if value else [],
                        },
                    }
                )
        data = {"custom_id": modal["custom_id"], "components": rows}
        return await self._interact(5, data, in_guild=in_guild)

    async def dm(self, text: str) -> None:
        """Write to the bot in a direct message."""
        emu = self.emulator
        channel = emu.dm_for(self.id)
        message = o.message(o.snowflake(), channel["id"], self.account, {"content": text})
        check_object("MessageResponse", message)
        await emu.dispatch("MESSAGE_CREATE", message)

    async def vote(self, message: dict[str, Any], answer_id: int, *, remove: bool = False) -> None:
        """Vote for an answer of a poll (answer ids count from 1), or take the vote back."""
        emu = self.emulator
        await emu.dispatch(
            "MESSAGE_POLL_VOTE_REMOVE" if remove else "MESSAGE_POLL_VOTE_ADD",
            {
                "user_id": self.id,
                "channel_id": message["channel_id"],
                "message_id": message["id"],
                "guild_id": emu.guild_id,
                "answer_id": answer_id,
            },
        )

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        in_guild: bool = False,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        emu = self.emulator
        channel = emu.channels[emu.channel_id] if in_guild else emu.dm_for(self.id)
        if message is not None:
            channel = emu.channels[message["channel_id"]]
        interaction = {
            "id": o.snowflake(),
            "application_id": emu.app_id,
            "type": kind,
            "data": data,
            "channel_id": channel["id"],
            "channel": channel,
            "token": secrets.token_urlsafe(24),
            "version": 1,
            "locale": "en-US",
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "authorizing_integration_owners": {"0": emu.guild_id},
            "context": 0 if channel["type"] == 0 else 1,
            "attachment_size_limit": 10485760,
        }
        if channel["type"] == 0:
            interaction.update(
                guild_id=emu.guild_id,
                guild_locale="en-US",
                member={**emu.members[self.id], "permissions": "1024"},
            )
        else:
            interaction["user"] = self.account
        if message is not None:
            interaction["message"] = message
        emu.interactions[interaction["id"]] = {
            "id": interaction["id"],
            "type": kind,
            "token": interaction["token"],
            "channel_id": channel["id"],
            "user": self.account,
            "responded": False,
            "issued": time.monotonic(),  # Discord waits three seconds for the first answer
            "replies": [],
            "member": self.id,
        }
        await emu.dispatch("INTERACTION_CREATE", interaction)
        return emu.interactions[interaction["id"]]

    def modal(self) -> dict[str, Any]:
        shown = [
            i["modal"]
            for i in self.emulator.interactions.values()
            if i["member"] == self.id and "modal" in i
        ]
        if not shown:
            raise AssertionError(f"no modal was shown to {self.name}")
        modal: dict[str, Any] = shown[-1]
        return modal

    def messages(self) -> list[dict[str, Any]]:
        """What the bot showed this member: DMs, and answers to their interactions, in order."""
        emu = self.emulator
        dm = emu.messages.get(f"9{self.id}", [])
        answers = [
            m for i in emu.interactions.values() if i["member"] == self.id for m in i["replies"]
        ]
        return sorted([*dm, *answers], key=lambda m: int(m["id"]))

    def last(self, *, with_buttons: bool = False) -> dict[str, Any]:
        found = [m for m in self.messages() if not with_buttons or m["components"]]
        if not found:
            raise AssertionError(f"the bot showed {self.name} nothing")
        return found[-1]

    def text(self, since: int = 0) -> str:
        parts = []
        for message in self.messages()[since:]:
            parts.append(message["content"])
            for embed in message["embeds"]:
                parts += [embed.get("title") or "", embed.get("description") or ""]
                parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
            parts += [f"[file {a['filename']}]" for a in message["attachments"]]
        return "\n".join(p for p in parts if p)


def add_member(emulator: DiscordEmulator, name: str) -> DiscordMember:
    user_id = o.snowflake()
    emulator.users[user_id] = o.user(user_id, name)
    return DiscordMember(emulator, user_id, name.lower())
