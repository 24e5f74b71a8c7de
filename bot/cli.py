"""`roost run` and `roost db upgrade`: the command line, and where settings meet the world."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from bot.adapter import Adapter
from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.clock import SystemClock
from bot.settings import ConfigError, Settings, load_settings
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


async def run(settings: Settings) -> int:
    db = Database(settings.database.url.get_secret_value(), echo=settings.database.echo)
    try:
        await db.upgrade()
        adapters = adapters_for(settings)
        if not adapters:
            log.error("No platform is configured and the console is off: nothing to run.")
            return 2
        app = build_app(settings, adapters, db, SystemClock())
        log.info("Roost is running on %s", ", ".join(a.platform for a in adapters))
        await app.run()
        return 0
    finally:
        await db.dispose()


async def upgrade(settings: Settings) -> int:
    db = Database(settings.database.url.get_secret_value())
    try:
        await db.upgrade()
        print(f"Database is at revision {await db.current_revision()}.")
        return 0
    finally:
        await db.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="roost", description="The talent-community bot.")
    parser.add_argument("--config", help="TOML settings file (default: $ROOST_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start Roost: migrations, web server, every adapter")
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations")
    args = parser.parse_args(argv)
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
    job = run(settings) if args.command == "run" else upgrade(settings)
    return _run_until_signalled(job)


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
