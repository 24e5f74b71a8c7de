"""One Roost on several platforms at once, each through its real library against its local
emulator, and people with an account on each: what a person on two platforms sees."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.adapter import Adapter
from bot.adapters.discord import DiscordAdapter
from bot.adapters.slack import SlackAdapter
from bot.adapters.telegram import TelegramAdapter
from bot.app import App, build_app
from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from tests.emulators.discord import DiscordEmulator
from tests.emulators.discord import add_member as add_discord_member
from tests.emulators.slack import SlackEmulator
from tests.emulators.slack import add_user as add_slack_user
from tests.emulators.telegram import TelegramEmulator, wait_for
from tests.emulators.telegram import add_user as add_telegram_user
from tests.roost_on_discord import discord_section
from tests.roost_on_slack import slack_section
from tests.roost_on_telegram import PUBLIC_URL, telegram_section


@dataclass
class Account:
    """A person's account on one platform, acting the way that platform's users act."""

    platform: str
    user_id: str
    command: Callable[[str, dict[str, str]], Awaitable[Any]]  # name, options
    press: Callable[[str], Awaitable[Any]]
    text: Callable[[], str]  # everything Roost showed them, as text
    # A form's answers: one modal submitted (Discord, Slack), or the conversation's turns
    # (Telegram: a choice pressed, a text typed, `-` to skip), each awaited on its own.
    answers: Callable[[dict[str, str]], list[Awaitable[Any]]]


@dataclass
class Everywhere:
    app: App
    emulators: dict[str, Any]

    async def act(self, action: Awaitable[Any]) -> None:
        before = self.app.handled
        await action
        async with asyncio.timeout(10):
            await self.app.wait_handled(before + 1)

    async def command(self, account: Account, name: str, **options: str) -> str:
        """`/name` with its options, as typed on the account's platform; what Roost showed."""
        seen = len(account.text())
        await self.act(account.command(name, options))
        return account.text()[seen:]

    async def press(self, account: Account, label: str) -> str:
        seen = len(account.text())
        await self.act(account.press(label))
        return account.text()[seen:]

    async def form(self, account: Account, values: dict[str, str]) -> str:
        """Answer the form Roost opened, the way the account's platform asks it."""
        seen = len(account.text())
        for turn in account.answers(values):
            await self.act(turn)
        return account.text()[seen:]

    async def person(self, name: str) -> dict[str, Account]:
        """`name` with an account on every running platform."""
        return {p: await _ACCOUNTS[p](self.emulators[p], name) for p in self.emulators}


async def _telegram(tg: TelegramEmulator, name: str) -> Account:
    user = add_telegram_user(tg, name)

    async def command(text: str, options: dict[str, str]) -> None:
        await user.send(" ".join([f"/{text}", *options.values()]))

    async def turn(value: str) -> None:  # looked at when its turn comes, not before
        if _is_choice(user, value):
            await user.press(value)
        else:
            await user.send(value or "-")

    def answers(values: dict[str, str]) -> list[Awaitable[Any]]:
        return [turn(v) for v in values.values()]

    return Account("telegram", str(user.id), command, user.press, user.text, answers)


async def _discord(discord: DiscordEmulator, name: str) -> Account:
    member = add_discord_member(discord, name)
    await member.join(dispatch=False)

    async def command(text: str, options: dict[str, str]) -> None:
        await member.slash(text, in_guild=True, **options)

    return Account(
        "discord", member.id, command, member.press, member.text, lambda v: [member.submit(v)]
    )


async def _slack(slack: SlackEmulator, name: str) -> Account:
    user = add_slack_user(slack, name)

    async def command(text: str, options: dict[str, str]) -> None:
        await user.command(" ".join([text, *options.values()]))

    return Account("slack", user.id, command, user.press, user.text, lambda v: [user.submit(v)])


def _is_choice(user: Any, value: str) -> bool:
    """Whether the conversation's newest question offers `value` as a button."""
    markup = user.last().get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return any(button.get("text") == value for row in rows for button in row)


_ACCOUNTS: dict[str, Callable[[Any, str], Awaitable[Account]]] = {
    "telegram": _telegram,
    "discord": _discord,
    "slack": _slack,
}


@contextlib.asynccontextmanager
async def roost_everywhere(
    db: Database, clock: ManualClock, platforms: Sequence[str]
) -> AsyncIterator[Everywhere]:
    """One Roost with an adapter per platform in `platforms`, each on a fresh emulator."""
    made = {
        "telegram": TelegramEmulator,
        "discord": DiscordEmulator,
        "slack": SlackEmulator,
    }
    emulators: dict[str, Any] = {p: made[p]() for p in platforms}
    async with contextlib.AsyncExitStack() as stack:
        for emulator in emulators.values():
            await emulator.start()
            stack.push_async_callback(emulator.stop)
        sections: dict[str, Any] = {"web": {"enabled": False}}
        if "telegram" in emulators:
            sections["telegram"] = telegram_section(emulators["telegram"])
        if "discord" in emulators:
            sections["discord"] = discord_section(emulators["discord"])
        if "slack" in emulators:
            sections["slack"] = slack_section(emulators["slack"])
        settings = Settings.model_validate(sections)
        adapters: list[Adapter] = []
        if "telegram" in emulators:
            adapters.append(TelegramAdapter(settings.telegram, lambda: PUBLIC_URL))
        if "discord" in emulators:
            adapters.append(DiscordAdapter(settings.discord))
        if "slack" in emulators:
            adapters.append(SlackAdapter(settings.slack))
        app = build_app(settings, adapters, db, clock)
        task = asyncio.create_task(app.run())
        try:
            await _ready(emulators, adapters, task)
            yield Everywhere(app, emulators)
        finally:
            if "telegram" in emulators:
                await emulators["telegram"].release()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _ready(
    emulators: dict[str, Any], adapters: list[Adapter], task: asyncio.Task[Any]
) -> None:
    """Until every platform's inbound connection is up (or Roost failed to start)."""
    if (tg := emulators.get("telegram")) is not None:
        await wait_for(
            tg, lambda: any(r.method == "getUpdates" for r in tg.requests) or task.done()
        )
    if (slack := emulators.get("slack")) is not None:
        await slack.wait_for(lambda: slack.socket_connected or task.done(), seconds=10)
    for adapter in adapters:
        if isinstance(adapter, DiscordAdapter):
            ready = asyncio.ensure_future(adapter.ready.wait())
            await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
    if task.done():
        task.result()
