"""`roost invites create|list|export`: invite codes from the command line."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.clock import SystemClock
from bot.handlers.growth.codes import parse_create
from bot.handlers.growth.report import codes_sheet
from bot.pictures import qr_png
from bot.reports import Query, as_csv
from bot.router import Tool, UsageError
from bot.settings import Settings
from bot.terminal import refuse, write_out
from storage.db import Database
from storage.growth import create_code


async def create(settings: Settings, db: Database, args: argparse.Namespace) -> int:
    """A code, printed with its landing link; its Telegram and Discord links are made by the
    running Roost the first time HR shows the code in chat."""
    now = SystemClock().now()
    async with db.session() as session:
        try:
            options = parse_create(" ".join(args.options), settings.community.timezone, now)
            invite = await create_code(session, now=now, **options)
        except (UsageError, ValueError) as exc:
            return refuse(f"{exc}; nothing was created.")
        await session.commit()
    landing = f"{settings.web.public_url.rstrip('/')}/i/{invite.code}"
    saved = ""
    if args.qr:  # only where asked: nothing lands in the directory unasked
        await asyncio.to_thread(Path(args.qr).write_bytes, await qr_png(landing))
        saved = f"\tQR code in {args.qr}"
    print(f"{invite.code}\t{invite.source}\tlanding {landing}{saved}")
    return 0


async def listing(settings: Settings, db: Database, _args: argparse.Namespace) -> int:
    """The codes report, a line per code."""
    async with db.session() as session:
        sheet = await codes_sheet(Query(session, settings, SystemClock().now(), {}))
    for row in sheet.rows:
        print(f"{row.invite.code}\t{row.invite.source}\t{row.joins} joins\t{row.state}")
    return 0


async def export(settings: Settings, db: Database, args: argparse.Namespace) -> int:
    """The codes report as CSV."""
    async with db.session() as session:
        sheet = await codes_sheet(Query(session, settings, SystemClock().now(), {}))
    write_out(args.output, as_csv(sheet), len(sheet.rows))
    return 0


def create_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "options", nargs="+", help="SOURCE [campaign=…] [expires=…] [uses=…] [code=…]"
    )
    parser.add_argument("--qr", help="a PNG file to write the QR code to")


def export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", help="a CSV file (default standard output)")


TOOL = Tool(
    "invites",
    "source-tagged invite codes",
    subtools=(
        Tool("create", "make a code", create, create_arguments),
        Tool("list", "every code, a line each", listing),
        Tool("export", "every code, as CSV", export, export_arguments),
    ),
)
