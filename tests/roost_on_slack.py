"""A running Roost on the real slack-bolt, talking to the local Slack emulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.adapters.slack import SlackAdapter
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.handlers import root_router
from bot.router import Routes
from bot.settings import Settings
from storage.db import Database
from tests.emulators.slack import COMMUNITY, SlackEmulator, SlackUser, add_user


@dataclass
class SlackRoost:
    app: App
    adapter: SlackAdapter
    slack: SlackEmulator
    hana: SlackUser  # in the HR user group
    eli: SlackUser  # in the staff user group: an employee

    async def act(self, action: Awaitable[Any], events: int = 1) -> None:
        """Do something as a user, then wait until Roost has handled what it caused."""
        before = self.app.handled
        await action
        async with asyncio.timeout(10):
            await self.app.wait_handled(before + events)

    async def run(self, user: SlackUser, text: str, **where: Any) -> str:
        """`/roost text` as `user`; what the app showed them because of it."""
        seen = len(user.messages())
        await self.act(user.command(text, **where))
        return user.text(seen)

    async def press(self, user: SlackUser, label: str) -> str:
        seen = len(user.messages())
        await self.act(user.press(label))
        return user.text(seen)

    def user(self, name: str) -> SlackUser:
        return add_user(self.slack, name)


def slack_section(slack: SlackEmulator, mode: str = "socket") -> dict[str, Any]:
    """The `[slack]` settings that point Roost at the emulator."""
    return {
        "bot_token": slack.bot_token,
        "app_token": slack.app_token,
        "signing_secret": slack.signing_secret,
        "mode": mode,
        "api_url": f"{slack.url}/api/",
        "community_channel": COMMUNITY,
    }


@contextlib.asynccontextmanager
async def roost_on_slack(
    db: Database,
    clock: ManualClock,
    mode: str = "socket",
    *,
    minute: float = 60.0,
    emulator: SlackEmulator | None = None,
    sections: Mapping[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[SlackRoost]:
    """Roost against `emulator` (a new one by default; pass one to restart against it)."""
    fresh = emulator is None
    slack = emulator or SlackEmulator()
    slack.limits.minute = minute
    if fresh:
        await slack.start()
    if "S0HR" not in slack.usergroups:
        slack.usergroups["S0HR"] = [add_user(slack, "Hana").id]
    if "S0STAFF" not in slack.usergroups:
        slack.usergroups["S0STAFF"] = [add_user(slack, "Eli").id]
    hana = SlackUser(slack, slack.usergroups["S0HR"][0], "hana")
    eli = SlackUser(slack, slack.usergroups["S0STAFF"][0], "eli")
    settings = Settings.model_validate(
        {
            "web": {"enabled": mode == "http", "port": 0},
            "roles": {"hr": ["slack:S0HR"], "employee": ["slack:S0STAFF"]},
            "slack": {**slack_section(slack, mode), "rate_window": minute, **extra},
            **(sections or {}),  # more settings, such as a new privacy notice's version
        }
    )
    adapter = SlackAdapter(settings.slack)
    app = build_app(settings, [adapter], db, clock, Routes(root_router()))
    task = asyncio.create_task(app.run())
    try:

        def ready() -> bool:
            return slack.socket_connected if mode == "socket" else app.web.port is not None

        await slack.wait_for(lambda: ready() or task.done(), seconds=10)
        if task.done():
            task.result()
        if mode == "http":
            slack.app_url = f"http://127.0.0.1:{app.web.port}/slack/events"
        yield SlackRoost(app, adapter, slack, hana, eli)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if fresh:
            await slack.stop()
