"""Acting as Slack users toward the app: slash commands, buttons, modals, App Home, joins."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.emulators.slack.server import APP, BOT_USER, COMMUNITY, TEAM, SlackEmulator


@dataclass
class SlackUser:
    emulator: SlackEmulator
    id: str
    name: str

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "username": self.name, "name": self.name, "team_id": TEAM}

    def _interaction_ids(self) -> tuple[str, str]:
        serial = self.emulator.next_id("")
        trigger = self.emulator.issue_trigger(f"trigger-{self.id}-{serial}")
        return trigger, f"{self.emulator.url}/response/{self.id}-{serial}"

    async def command(
        self, text: str, *, channel: str | None = None, command: str = "/roost"
    ) -> int:
        """Run `/roost text` in the user's DM with the app (or in `channel`)."""
        channel = channel or self.emulator.dm_channel(self.id)
        trigger, response_url = self._interaction_ids()
        return await self.emulator.deliver(
            "slash_commands",
            {
                "token": "verification-token",
                "team_id": TEAM,
                "team_domain": "roost-test",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "community",
                "user_id": self.id,
                "user_name": self.name,
                "command": command,
                "text": text,
                "api_app_id": APP,
                "response_url": response_url,
                "trigger_id": trigger,
            },
        )

    async def press(self, label: str, message: dict[str, Any] | None = None) -> int:
        """Press the button labelled `label` in a message (default: the newest with buttons) or
        in the user's App Home."""
        source = message or self.last(with_buttons=True)
        for block in source.get("blocks") or []:
            for element in block.get("elements", []) if block["type"] == "actions" else []:
                if element["text"]["text"] == label:
                    return await self._act(source, block, element)
        raise AssertionError(f"no button {label!r} in {self._labels(source)}")

    async def press_home(self, label: str) -> int:
        home = self.emulator.homes[self.id]
        return await self.press(label, {"blocks": home["blocks"], "home": True})

    async def _act(
        self, source: dict[str, Any], block: dict[str, Any], element: dict[str, Any]
    ) -> int:
        trigger, response_url = self._interaction_ids()
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self.ref,
            "api_app_id": APP,
            "token": "verification-token",
            "trigger_id": trigger,
            "team": {"id": TEAM, "domain": "roost-test"},
            "actions": [
                {
                    "type": "button",
                    "action_id": element["action_id"],
                    "block_id": block.get("block_id", "b"),
                    "text": element["text"],
                    "value": element.get("value", ""),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if source.get("home"):
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": source["blocks"]}
        else:
            channel = source["channel"]
            payload.update(
                container={
                    "type": "message",
                    "message_ts": source["ts"],
                    "channel_id": channel,
                    "is_ephemeral": False,
                },
                channel={"id": channel, "name": "directmessage"},
                message=source,
                response_url=response_url,
            )
        return await self.emulator.deliver("interactive", payload)

    async def submit(self, values: dict[str, str], view: dict[str, Any] | None = None) -> int:
        """Submit the newest modal opened for this user with `values` by field (block id)."""
        view = view or self.open_view()
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            if block["type"] != "input" or block["block_id"] not in values:
                continue
            element, value = block["element"], values[block["block_id"]]
            if element["type"] == "plain_text_input":
                if len(value) > element.get("max_length", 3000):  # Slack's client stops typing
                    raise ValueError(f"{block['block_id']} takes {element['max_length']} at most")
                entry = {"type": "plain_text_input", "value": value}
            else:
                option = next(o for o in element["options"] if o["value"] == value)
                entry = {"type": element["type"], "selected_option": option}
            state[block["block_id"]] = {element["action_id"]: entry}
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "roost-test"},
            "user": self.ref,
            "api_app_id": APP,
            "token": "verification-token",
            "trigger_id": self._interaction_ids()[0],
            "view": {
                **view,
                "state": {"values": state},
                "team_id": TEAM,
                "app_id": APP,
                "bot_id": "B0BOT",
            },
        }
        return await self.emulator.deliver("interactive", payload)

    async def open_home(self) -> int:
        event = {
            "type": "app_home_opened",
            "user": self.id,
            "channel": self.emulator.dm_channel(self.id),
            "tab": "home",
        }
        return await self.emulator.deliver("events_api", self.emulator.envelope(event))

    async def join_workspace(self) -> int:
        user = self.emulator.users[self.id]
        return await self.emulator.deliver(
            "events_api", self.emulator.envelope({"type": "team_join", "user": user})
        )

    async def join_channel(self, channel: str = COMMUNITY) -> int:
        event = {
            "type": "member_joined_channel",
            "user": self.id,
            "channel": channel,
            "channel_type": "C",
            "team": TEAM,
        }
        return await self.emulator.deliver("events_api", self.emulator.envelope(event))

    async def dm(self, text: str) -> int:
        event = {
            "type": "message",
            "channel": self.emulator.dm_channel(self.id),
            "user": self.id,
            "text": text,
            "ts": f"{time.time():.6f}",
            "channel_type": "im",
        }
        return await self.emulator.deliver("events_api", self.emulator.envelope(event))

    async def say_in_channel(self, text: str, channel: str = COMMUNITY) -> int:
        """A message in a public channel (Roost hears it only under `message.channels`)."""
        event = {
            "type": "message",
            "channel": channel,
            "user": self.id,
            "text": text,
            "ts": f"{time.time():.6f}",
            "channel_type": "channel",
        }
        return await self.emulator.deliver("events_api", self.emulator.envelope(event))

    def deactivate(self) -> None:
        self.emulator.users[self.id]["deleted"] = True

    def open_view(self) -> dict[str, Any]:
        views = [v for v in self.emulator.views.values() if v["user"] == self.id]
        if not views:
            raise AssertionError(f"no modal was opened for {self.name}")
        return views[-1]

    def messages(self) -> list[dict[str, Any]]:
        """What the app posted in this user's DM, and ephemeral replies to them, in order."""
        dm = f"D{self.id}"
        return [
            m
            for m in [*self.emulator.messages, *self.emulator.ephemeral]
            if m.get("channel") == dm or m.get("to") == self.id
        ]

    def last(self, *, with_buttons: bool = False) -> dict[str, Any]:
        found = [m for m in self.messages() if not with_buttons or _has_buttons(m)]
        if not found:
            raise AssertionError(f"the app sent {self.name} nothing")
        return found[-1]

    def text(self, since: int = 0) -> str:
        """Everything the app showed this user (text and block text), as one string."""
        return "\n".join(_shown(m) for m in self.messages()[since:])

    def _labels(self, message: dict[str, Any]) -> list[str]:
        return [
            e["text"]["text"]
            for b in message.get("blocks") or []
            if b["type"] == "actions"
            for e in b["elements"]
        ]


def _has_buttons(message: dict[str, Any]) -> bool:
    return any(b["type"] == "actions" for b in message.get("blocks") or [])


def _shown(message: dict[str, Any]) -> str:
    parts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        parts += [f["text"] for f in block.get("fields", [])]
        parts += [
            e["text"]["text"] for e in block.get("elements", []) if isinstance(e.get("text"), dict)
        ]
    parts += [f"[file {f['name']}]" for f in message.get("files", [])]
    return "\n".join(p for p in parts if p)


def add_user(emulator: SlackEmulator, name: str) -> SlackUser:
    user_id = f"U{len(emulator.users) + 1:04d}{name.upper()[:4]}"
    emulator.users[user_id] = {
        "id": user_id,
        "team_id": TEAM,
        "name": name.lower(),
        "real_name": name,
        "deleted": False,
        "is_bot": False,
        "profile": {"real_name": name, "display_name": name.lower()},
    }
    return SlackUser(emulator, user_id, name.lower())


__all__ = ["BOT_USER", "SlackUser", "add_user"]
