"""`roost funnel export`: the invitations under a funnel (narrowed as `/stats funnel` is), one
CSV row each, written as the database hands them over (a million rows take no more memory
than a thousand)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bot.clock import SystemClock
from bot.handlers.pipeline.report import scope_of
from bot.reports import Query, read_options
from bot.router import Tool, UsageError
from bot.settings import Settings
from bot.terminal import progress, refuse
from storage.db import Database, Session
from storage.pipeline import Scope, export_invitations
from storage.types import row_id


async def export(settings: Settings, db: Database, args: argparse.Namespace) -> int:
    given = {key: str(value) for key in ("job", "source", "event")
             if (value := getattr(args, key)) is not None}  # fmt: skip
    to_file = args.output not in (None, "-")
    async with db.session() as session:
        try:
            options = read_options(given, ("job", "source", "event"))
            scope, _ = await scope_of(Query(session, settings, SystemClock().now(), options))
        except UsageError as exc:
            return refuse(f"{exc}; nothing was exported.")
        # A command-line process with nothing else on its loop: buffered writes are fine here.
        target = Path(args.output).open("wb") if to_file else None  # noqa: ASYNC230, SIM115
        try:
            count = await write_invitations(session, scope, target or sys.stdout.buffer, progress)
        finally:
            if target is not None:
                target.close()
    print(f"\r{count} rows written to {args.output or 'standard output'}", file=sys.stderr)
    return 0


def export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", type=numbered("a job"), help="only this job's invitations")
    parser.add_argument("--source", help="only members who joined from this source")
    parser.add_argument("--event", type=numbered("an event"), help="only members an event brought")
    parser.add_argument("-o", "--output", help="a CSV file (default standard output)")


def numbered(what: str) -> Callable[[str], int]:
    """An argument type: a row's number, or a one-line refusal."""

    def read(text: str) -> int:
        number = row_id(text)
        if number is None:
            raise argparse.ArgumentTypeError(f"{text[:20]!r} is not {what} number")
        return number

    return read


async def write_invitations(
    session: Session, scope: Scope, out: BinaryIO, progress: Callable[[int], None]
) -> int:
    """The funnel's CSV written to `out` as the database hands it over, with the lines so
    far after each chunk; how many rows."""
    lines = 0

    async def write(chunk: bytes) -> None:
        nonlocal lines
        out.write(chunk)
        lines += chunk.count(b"\n")
        progress(max(0, lines - 1))

    return await export_invitations(session, scope, write)


TOOL = Tool(
    "funnel",
    "the talent pipeline's rows",
    subtools=(Tool("export", "the invitations under a funnel, as CSV", export, export_arguments),),
)
