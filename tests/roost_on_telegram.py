"""A running Roost on the real python-telegram-bot, talking to the local Telegram emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapter import Adapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.handlers import root_router
from bot.router import Router, Routes
from bot.settings import Settings
from storage.db import Database
from tests.emulators.telegram import (
    COMMUNITY_ID,
    Limits,
    TelegramEmulator,
    TelegramUser,
    add_user,
    wait_for,
)

SECRET = "webhook-secret-for-tests"
PUBLIC_URL = "https://roost.example"  # what Telegram calls; the emulator proxies it to Roost


@dataclass
class TelegramRoost:
    app: App
    adapter: TelegramAdapter
    tg: TelegramEmulator
    hana: TelegramUser  # an admin of the community group, and so HR

    def public_webhook(self) -> str:
        """The local address behind the webhook's public one, as Telegram's calls reach it."""
        assert self.tg.webhook is not None
        return self.tg.through_proxy(self.tg.webhook["url"])

    async def act(self, action: Awaitable[Any], events: int = 1) -> None:
        """Do something as a user, then wait until Roost has handled what it caused."""
        before = self.app.handled
        await action
        async with asyncio.timeout(10):
            await self.app.wait_handled(before + events)

    async def say(self, user: TelegramUser, *lines: str) -> str:
        """Type lines in the user's private chat; the bot's new messages there, as text."""
        seen = len(user.messages())
        for line in lines:
            await self.act(user.send(line))
        return "\n".join(m.get("text") or m.get("caption") or "" for m in user.messages()[seen:])

    async def press(self, user: TelegramUser, label: str) -> str:
        seen = len(user.messages())
        await self.act(user.press(label))
        return "\n".join(m.get("text") or "" for m in user.messages()[seen:])

    def user(self, name: str, *, admin: bool = False) -> TelegramUser:
        return add_user(self.tg, name, admin=admin)


def telegram_section(tg: TelegramEmulator, mode: str = "polling") -> dict[str, Any]:
    """The `[telegram]` settings that point Roost at the emulator."""
    return {
        "token": tg.token,
        "api_url": tg.url,
        "mode": mode,
        "poll_timeout": 1,
        "request_timeout": 2,
        "community_chat_id": COMMUNITY_ID,
        "webhook_secret": SECRET,
    }


def telegram_settings(
    tg: TelegramEmulator, mode: str, sections: Mapping[str, Any] | None = None, **extra: Any
) -> Settings:
    return Settings.model_validate(
        {
            "web": {"enabled": mode == "webhook", "port": 0, "public_url": PUBLIC_URL},
            "roles": {"hr": ["telegram:group_admin"]},
            "telegram": {**telegram_section(tg, mode), **extra},
            **(sections or {}),  # more settings, such as a new privacy notice's version
        }
    )


@contextlib.asynccontextmanager
async def roost_on_telegram(
    db: Database,
    clock: ManualClock,
    mode: str = "polling",
    *,
    also: Router | None = None,
    limits: Limits | None = None,
    beside: Sequence[Adapter] = (),
    emulator: TelegramEmulator | None = None,
    sections: Mapping[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[TelegramRoost]:
    """Roost on Telegram; `also` adds a router beside the real features (to observe events),
    `beside` more adapters in the same Roost (one community on several platforms), and
    `emulator` one to restart against (a new one by default)."""
    fresh = emulator is None
    tg = emulator or TelegramEmulator(limits=limits)
    if fresh:
        await tg.start()
    tg.reopen()
    polls_before = _polls(tg)
    known = next((u for u in tg.users.values() if u.first_name == "Hana"), None)
    hana = TelegramUser(tg, known) if known else add_user(tg, "Hana", admin=True)
    settings = telegram_settings(tg, mode, sections, **extra)
    holder: dict[str, App] = {}

    def public_url() -> str:  # asked once Roost listens: the proxy then knows where it is
        tg.proxies[PUBLIC_URL] = f"http://127.0.0.1:{holder['app'].web.port}"
        return PUBLIC_URL

    adapter = TelegramAdapter(settings.telegram, public_url)
    root = Router("test", children=(root_router(), also)) if also else root_router()
    app = holder["app"] = build_app(settings, [adapter, *beside], db, clock, Routes(root))
    task = asyncio.create_task(app.run())
    try:

        def ready() -> bool:
            return bool(tg.webhook) if mode == "webhook" else _polls(tg) > polls_before

        try:
            await wait_for(tg, lambda: ready() or task.done(), seconds=10)
        finally:
            if task.done():
                task.result()  # Roost failed to start: show why
        yield TelegramRoost(app, adapter, tg, hana)
    finally:
        await tg.release()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if fresh:
            await tg.stop()


def _polls(tg: TelegramEmulator) -> int:
    return sum(r.method == "getUpdates" for r in tg.requests)
