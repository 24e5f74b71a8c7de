"""`roost run`, `roost worker`, `roost db upgrade`, `roost invites …`, `roost funnel export`:
the command line, and where settings meet the world."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from bot.adapter import Adapter, StartupError
from bot.adapters.console import ConsoleAdapter
from bot.app import build_app
from bot.clock import SystemClock
from bot.settings import ConfigError, Settings, load_settings
from bot.web import PortInUse
from storage.db import Database

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from storage.pipeline import Scope

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


async def invites_cli(settings: Settings, args: argparse.Namespace) -> int:
    """`roost invites create|list|export`: codes made here get their Telegram and Discord links
    from the running Roost the first time HR shows them in chat."""
    from bot.handlers.growth import code_rows, parse_create, to_csv
    from bot.pictures import qr_png
    from bot.router import UsageError
    from storage.growth import create_code

    db = Database(settings.database.url.get_secret_value())
    now = SystemClock().now()
    try:
        await db.upgrade()
        async with db.session() as session:
            if args.action == "create":
                try:
                    options = parse_create(" ".join(args.options), settings.community.timezone, now)
                    invite = await create_code(session, now=now, **options)
                except (UsageError, ValueError) as exc:
                    print(f"roost: {exc}; nothing was created.", file=sys.stderr)
                    return 2
                await session.commit()
                landing = f"{settings.web.public_url.rstrip('/')}/i/{invite.code}"
                saved = ""
                if args.qr:  # only where asked: nothing lands in the directory unasked
                    await asyncio.to_thread(Path(args.qr).write_bytes, await qr_png(landing))
                    saved = f"\tQR code in {args.qr}"
                print(f"{invite.code}\t{invite.source}\tlanding {landing}{saved}")
                return 0
            rows = await code_rows(session, now)
        if args.action == "export":
            _write(args.output, to_csv(rows), len(rows))
        else:
            for row in rows:
                print(f"{row['code']}\t{row['source']}\t{row['joins']} joins\t{row['state']}")
        return 0
    finally:
        await db.dispose()


async def funnel_cli(settings: Settings, args: argparse.Namespace) -> int:
    """`roost funnel export`: the invitations under a funnel, one CSV row each."""
    from storage.pipeline import Scope

    db = Database(settings.database.url.get_secret_value())
    to_file = args.output not in (None, "-")
    # A command-line process with nothing else on its loop: buffered file writes are fine here.
    target = Path(args.output).open("wb") if to_file else None  # noqa: ASYNC230, SIM115
    try:
        await db.upgrade()
        async with db.session() as session:
            scope = Scope(job_id=args.job, source=args.source)
            count = await write_invitations(session, scope, target or sys.stdout.buffer, _progress)
        print(f"\r{count} rows written to {args.output or 'standard output'}", file=sys.stderr)
        return 0
    finally:
        if target is not None:
            target.close()
        await db.dispose()


async def write_invitations(
    session: AsyncSession, scope: Scope, out: BinaryIO, progress: Callable[[int], None]
) -> int:
    """The funnel's CSV written to `out` as the database hands it over, with the lines so
    far after each chunk; how many rows."""
    from storage.pipeline import export_invitations

    lines = 0

    async def write(chunk: bytes) -> None:
        nonlocal lines
        out.write(chunk)
        lines += chunk.count(b"\n")
        progress(max(0, lines - 1))

    return await export_invitations(session, scope, write)


def _progress(count: int) -> None:
    print(f"\r{count:,} rows…", end="", file=sys.stderr, flush=True)


def _write(output: str | None, data: bytes, count: int) -> None:
    if output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
    print(f"{count} rows written to {output or 'standard output'}", file=sys.stderr)


def _job_number(text: str) -> int:
    from storage.types import row_id

    number = row_id(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a job number")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="roost", description="The talent-community bot.")
    parser.add_argument("--config", help="TOML settings file (default: $ROOST_CONFIG)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start Roost: migrations, web server, every adapter")
    commands.add_parser(
        "worker", help="only deliver (beside `roost run` processes on the same PostgreSQL)"
    )
    db = commands.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"], help="apply pending migrations")
    codes = commands.add_parser("invites", help="source-tagged invite codes")
    codes.add_argument("action", choices=["create", "list", "export"])
    codes.add_argument(
        "options", nargs="*", help="for create: SOURCE [campaign=…] [expires=…] [uses=…] [code=…]"
    )
    codes.add_argument("--qr", help="create: a PNG file to write the QR code to")
    codes.add_argument("-o", "--output", help="export: a CSV file (default standard output)")
    funnel = commands.add_parser("funnel", help="the talent pipeline's rows")
    funnel.add_argument("action", choices=["export"])
    funnel.add_argument("--job", type=_job_number, help="only this job's invitations")
    funnel.add_argument("--source", help="only members who joined from this source")
    funnel.add_argument("-o", "--output", help="a CSV file (default standard output)")
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
    jobs = {
        "run": lambda: run(settings),
        "worker": lambda: run(settings, deliver_only=True),
        "db": lambda: upgrade(settings),
        "invites": lambda: invites_cli(settings, args),
        "funnel": lambda: funnel_cli(settings, args),
    }
    return _run_until_signalled(jobs[args.command]())


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
