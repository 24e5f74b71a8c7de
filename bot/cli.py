"""`roost run`, `roost worker`, `roost db upgrade`, `roost invites …`, `roost funnel export`:
the command line, and where settings meet the world."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

from bot.adapter import Adapter, StartupError
from bot.adapters.console import ConsoleAdapter
from bot.app import build_app, features
from bot.clock import SystemClock
from bot.router import Tool
from bot.settings import ConfigError, Settings, load_settings
from bot.terminal import refuse
from bot.web import PortInUse
from storage.db import Database

log = logging.getLogger("roost")


def adapters_for(settings: Settings) -> list[Adapter]:
    """Every platform with credentials configured, plus the console when it is enabled."""
    adapters: list[Adapter] = []
    if settings.telegram.token is not None:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(settings.telegram, lambda: settings.web.public_url))
    if settings.slack.bot_token is not None:
        from bot.adapters.slack import SlackAdapter

        adapters.append(SlackAdapter(settings.slack))
    if settings.discord.token is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(settings.discord))
    if settings.console_enabled():
        adapters.append(ConsoleAdapter(user=settings.console.user))
    return adapters


async def run(settings: Settings, *, deliver_only: bool = False) -> int:
    """`roost run`: everything; `roost worker`: only delivery, through every platform with a
    token (a process to add beside `roost run` ones when sends need more hands)."""
    db = Database(settings.database.url.get_secret_value(), echo=settings.database.echo)
    try:
        await db.upgrade()
        adapters = [
            a for a in adapters_for(settings) if not (deliver_only and a.platform == "console")
        ]
        if not adapters:
            log.error("No platform is configured%s: nothing to run.", _why_none(deliver_only))
            return 2
        try:
            app = build_app(settings, adapters, db, SystemClock())
        except ConfigError as exc:
            print(f"roost: bad configuration, not starting:\n{exc}", file=sys.stderr)
            return 2
        log.info(
            "Roost %s on %s as %s",
            "delivers" if deliver_only else "is running",
            ", ".join(a.platform for a in adapters),
            app.process,
        )
        try:
            await app.run(deliver_only=deliver_only)
        except PortInUse as exc:
            print(f"roost: {exc}; not starting.", file=sys.stderr)
            return 2
        except ExceptionGroup as group:  # the adapters start side by side
            refused, rest = group.split(StartupError)
            for problem in refused.exceptions if refused else ():
                print(f"roost: {problem}; not starting.", file=sys.stderr)
            if rest is not None:
                raise rest from None
            return 2
        return 0
    finally:
        await db.dispose()


def _why_none(deliver_only: bool) -> str:
    return (
        " (a worker delivers through platforms, not the console)"
        if deliver_only
        else (" and the console is off")
    )


async def upgrade(settings: Settings) -> int:
    db = Database(settings.database.url.get_secret_value())
    try:
        await db.upgrade()
        print(f"Database is at revision {await db.current_revision()}.")
        return 0
    finally:
        await db.dispose()


CORE = ("run", "worker", "db")  # the command lines Roost itself has; features add theirs


def parser(tools: Mapping[str, Tool]) -> argparse.ArgumentParser:
    """The command line: Roost's own commands, and each feature's tools."""
    made = argparse.ArgumentParser(prog="roost", description="The talent-community bot.")
    made.add_argument("--config", help="TOML settings file (default: $ROOST_CONFIG)")
    commands = made.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start Roost: migrations, web server, every adapter")
    commands.add_parser(
        "worker", help="only deliver (beside `roost run` processes on the same PostgreSQL)"
    )
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations")
    for tool in tools.values():
        _add(commands, tool)
    return made


def _add(commands: Any, tool: Tool) -> None:
    """A tool's parser; a tool of subtools gets one parser each (`roost invites create`)."""
    made = commands.add_parser(tool.name, help=tool.help, description=tool.help)
    tool.arguments(made)
    if tool.subtools:
        inner = made.add_subparsers(dest=f"{tool.name}_action", required=True, metavar="ACTION")
        for sub in tool.subtools:
            _add(inner, sub)
    else:
        made.set_defaults(tool=tool)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser(features().tools).parse_args(argv)
    # Opt into python-telegram-bot's coming timedelta API; its internals warn otherwise.
    os.environ.setdefault("PTB_TIMEDELTA", "1")

    try:
        settings = load_settings(args.config, os.environ)
    except ConfigError as exc:
        print(f"roost: bad configuration, not starting:\n{exc}", file=sys.stderr)
        return 2
    level = settings.community.log_level
    if settings.console_enabled() and sys.stdout.isatty() and level == "INFO":
        level = "WARNING"  # keep the interactive console readable
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    jobs = {
        "run": lambda: run(settings),
        "worker": lambda: run(settings, deliver_only=True),
        "db": lambda: upgrade(settings),
    }
    if args.command in jobs:
        return _run_until_signalled(jobs[args.command]())
    return _run_until_signalled(use(args.tool, settings, args))


async def use(tool: Tool, settings: Settings, args: argparse.Namespace) -> int:
    """A feature's tool, on the migrated database."""
    assert tool.run is not None, f"{tool.name} runs one of its subtools"
    db = Database(settings.database.url.get_secret_value())
    try:
        await db.upgrade()
        return await tool.run(settings, db, args)
    except OSError as exc:
        if exc.filename is None:  # not a file the command line named
            raise
        return refuse(f"cannot write {exc.filename}: {exc.strerror}")
    finally:
        await db.dispose()


def _run_until_signalled(job: Coroutine[Any, Any, int]) -> int:
    async def guarded() -> int:
        task = asyncio.ensure_future(job)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, task.cancel)
        try:
            return await task
        except asyncio.CancelledError:
            log.info("stopped")
            return 0

    return asyncio.run(guarded())


if __name__ == "__main__":
    raise SystemExit(main())
