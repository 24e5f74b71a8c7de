"""A running Roost on the real discord.py, over REST and the gateway to the local emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.discord import DiscordAdapter
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.handlers import root_router
from bot.router import Router, Routes
from bot.settings import Settings
from storage.db import Database
from tests.emulators.discord import DiscordEmulator, DiscordMember, add_member
from tests.emulators.discord import objects as o


@dataclass
class DiscordRoost:
    app: App
    adapter: DiscordAdapter
    discord: DiscordEmulator
    hana: DiscordMember  # holds the HR role

    async def act(self, action: Awaitable[Any], events: int = 1) -> None:
        """Do something as a member, then wait until Roost has handled what it caused."""
        before = self.app.handled
        await action
        async with asyncio.timeout(10):
            await self.app.wait_handled(before + events)

    async def slash(self, member: DiscordMember, name: str, **options: Any) -> str:
        seen = len(member.messages())
        await self.act(member.slash(name, **options))
        return member.text(seen)

    async def press(self, member: DiscordMember, label: str) -> str:
        seen = len(member.messages())
        await self.act(member.press(label))
        return member.text(seen)

    async def member(self, name: str) -> DiscordMember:
        joined = add_member(self.discord, name)
        await joined.join(dispatch=False)
        return joined


def discord_section(emulator: DiscordEmulator) -> dict[str, Any]:
    """The `[discord]` settings that point Roost at the emulator."""
    return {
        "token": emulator.token,
        "guild_id": int(emulator.guild_id),
        "channel_id": int(emulator.channel_id),
        "api_url": emulator.url,
        "gateway_url": emulator.url.replace("http", "ws") + "/gateway",
    }


async def hr_member(emulator: DiscordEmulator) -> DiscordMember:
    """Hana, who holds the server's HR role (made on first use)."""
    if not any(r["name"] == "HR" for r in emulator.roles):
        emulator.roles.append(o.role(o.snowflake(), "HR", 1))
        hana = add_member(emulator, "Hana")
        await hana.join(dispatch=False)
        emulator.members[hana.id]["roles"].append(emulator.roles[-1]["id"])
    return DiscordMember(
        emulator, next(u for u, v in emulator.users.items() if v["global_name"] == "Hana"), "hana"
    )


@contextlib.asynccontextmanager
async def roost_on_discord(
    db: Database,
    clock: ManualClock,
    emulator: DiscordEmulator | None = None,
    *,
    also: Router | None = None,
    defer_after: float = 2.5,
    sections: Mapping[str, Any] | None = None,
) -> AsyncIterator[DiscordRoost]:
    """Roost against `emulator` (a new one by default; pass one to restart against it)."""
    fresh = emulator is None
    emulator = emulator or DiscordEmulator()
    if fresh:
        await emulator.start()
    hana = await hr_member(emulator)
    settings = Settings.model_validate(
        {
            "web": {"enabled": False},
            "roles": {"hr": ["discord:HR"]},
            "discord": discord_section(emulator),
            **(sections or {}),  # more settings, such as a new privacy notice's version
        }
    )
    adapter = DiscordAdapter(settings.discord, defer_after=defer_after)
    root = Router("test", children=(root_router(), also)) if also else root_router()
    app = build_app(settings, [adapter], db, clock, Routes(root))
    task = asyncio.create_task(app.run())
    try:
        ready = asyncio.ensure_future(adapter.ready.wait())
        await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if task.done():
            task.result()
        assert adapter.ready.is_set(), "Roost did not connect to the Discord emulator"
        yield DiscordRoost(app, adapter, emulator, hana)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if fresh:
            await emulator.stop()
