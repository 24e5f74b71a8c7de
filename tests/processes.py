"""Real `roost` processes for tests: started with a settings file and the environment's
secrets, killed or stopped, their logs kept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from storage.db import Database
from storage.models import Delivery
from tests.emulators.discord import DiscordEmulator
from tests.emulators.slack import SlackEmulator
from tests.emulators.telegram import TelegramEmulator


def settings_file(
    folder: Path,
    tg: TelegramEmulator,
    discord: DiscordEmulator | None = None,
    slack: SlackEmulator | None = None,
    **sections: dict[str, object],
) -> Path:
    """`roost.toml` for processes on the emulators: no web server, no console, Telegram by
    long polling (and Discord, and Slack in Socket Mode, when given), and any other
    `sections`. The tokens go in the environment (`Processes.env`)."""
    settings: dict[str, dict[str, object]] = {
        "web": {"enabled": False},
        "console": {"enabled": False},
        "telegram": {"api_url": tg.url, "poll_timeout": 1},
    }
    if discord is not None:
        settings["discord"] = {
            "guild_id": int(discord.guild_id),
            "channel_id": int(discord.channel_id),
            "api_url": discord.url,
            "gateway_url": discord.url.replace("http", "ws") + "/gateway",
        }
    if slack is not None:
        settings["slack"] = {"api_url": f"{slack.url}/api/", "mode": "socket"}
    for name, values in sections.items():
        settings.setdefault(name, {}).update(values)
    path = folder / "roost.toml"
    path.write_text(  # JSON's strings, numbers and booleans are TOML's too
        "".join(
            f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
            for name, values in settings.items()
        )
    )
    return path


@dataclass
class Processes:
    """Roost processes sharing one database, each with its own log."""

    config: Path
    env: dict[str, str]
    running: dict[int, asyncio.subprocess.Process] = field(default_factory=dict)
    logs: list[Path] = field(default_factory=list)

    async def start(self, command: str = "run") -> int:
        log = self.config.parent / f"roost-{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("w") as stderr:  # the child keeps its own copy of the descriptor
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                command,
                env={
                    **os.environ,
                    **self.env,
                    "ROOST_CONFIG": str(self.config),
                    "PYTHONFAULTHANDLER": "1",  # a hang shows its threads on SIGABRT
                },
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        self.running[process.pid] = process
        return process.pid

    async def kill(self, pid: int) -> None:
        process = self.running.pop(pid)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop_all(self) -> None:
        """SIGTERM each, and each must exit; one that hangs shows its threads (SIGABRT)."""
        for pid in list(self.running):
            process = self.running.pop(pid)
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(20):
                    await process.wait()
            except TimeoutError:
                process.send_signal(signal.SIGABRT)
                await process.wait()
                raise AssertionError(f"roost {pid} did not exit after SIGTERM") from None

    def said(self) -> str:
        return "".join(log.read_text() for log in self.logs if log.exists())


async def until(
    check: Callable[[], Awaitable[bool]], changed: asyncio.Condition, seconds: float
) -> None:
    """Until `check()` holds, looking again whenever an emulator sees a request (a polling
    bot makes one a second at the least) and at least every half second."""
    async with asyncio.timeout(seconds):
        while not await check():
            with contextlib.suppress(TimeoutError):
                async with changed:
                    await asyncio.wait_for(changed.wait(), 0.5)


async def all_sent(db: Database) -> bool:
    """Whether every outbox row has come to an end (none waiting, claimed or in flight)."""
    async with db.session() as session:
        left = await session.exec(
            select(Delivery).where(col(Delivery.state).in_(["pending", "claimed", "sending"]))
        )
        return not list(left)
