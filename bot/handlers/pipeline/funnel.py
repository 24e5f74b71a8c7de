"""`roost funnel export`: the invitations under a funnel, one CSV row each, written as the
database hands them over (a million rows take no more memory than a thousand)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from bot.settings import Settings
from bot.terminal import progress
from storage.db import Database, Session
from storage.pipeline import Scope, export_invitations
from storage.types import row_id


async def export_tool(_settings: Settings, db: Database, args: argparse.Namespace) -> int:
    to_file = args.output not in (None, "-")
    # A command-line process with nothing else on its loop: buffered file writes are fine here.
    target = Path(args.output).open("wb") if to_file else None  # noqa: ASYNC230, SIM115
    try:
        async with db.session() as session:
            scope = Scope(job_id=args.job, source=args.source)
            count = await write_invitations(session, scope, target or sys.stdout.buffer, progress)
        print(f"\r{count} rows written to {args.output or 'standard output'}", file=sys.stderr)
        return 0
    finally:
        if target is not None:
            target.close()


def export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["export"])
    parser.add_argument("--job", type=job_number, help="only this job's invitations")
    parser.add_argument("--source", help="only members who joined from this source")
    parser.add_argument("-o", "--output", help="a CSV file (default standard output)")


def job_number(text: str) -> int:
    number = row_id(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a job number")
    return number


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
