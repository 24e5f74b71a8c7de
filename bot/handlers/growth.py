"""Invite codes and referrals: HR makes source-tagged codes with every platform's way in and a
QR code; employees get a personal referral code and see what it brought."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.context import Context
from bot.events import CommandInvoked
from bot.messages import Attachment, Image, Message, MessageField
from bot.parsing import bounded, day, end_of, options, whole
from bot.pictures import qr_png
from bot.router import Arg, Command, Role, Router, Tool, UsageError
from bot.settings import Settings
from bot.terminal import refuse, write_out
from storage.db import Database
from storage.growth import (
    SOURCES,
    add_links,
    all_codes,
    code_named,
    create_code,
    joins_through,
    leaderboard,
    new_code,
    personal_code,
    qualify_due,
    referral_counts,
    usable,
)
from storage.members import first_names
from storage.models import InviteCode
from storage.spreadsheet import cell

CAMPAIGN = 64  # characters of a code's campaign name

LINK_NAMES = {
    "deep_link": "bot link",
    "group_link": "group invite",
    "invite": "server invite",
    "command": "type",
}


def landing_url(ctx: Context[Any], code: str) -> str:
    return f"{ctx.settings.web.public_url.rstrip('/')}/i/{code}"


async def ensure_links(ctx: Context[Any], invite: InviteCode) -> None:
    """Make the ways in that running platforms don't have yet for this code (a code made
    from the command line gets its Telegram and Discord links the first time HR shows it)."""
    if ctx.invite_links is None:
        return
    for platform, links in (
        await ctx.invite_links(invite.code, set(invite.platform_links))
    ).items():
        await add_links(ctx.session, invite, platform, links)


async def code_message(ctx: Context[Any], invite: InviteCode, intro: str = "") -> Message:
    """A code with every way in and a QR code of its landing link, ready to hand out."""
    await ensure_links(ctx, invite)
    landing = landing_url(ctx, invite.code)
    fields = [
        MessageField(f"{platform.title()} {LINK_NAMES.get(kind, kind)}", url, inline=False)
        for platform, links in sorted(invite.platform_links.items())
        for kind, url in links.items()
    ]
    limits = [
        f"expires {invite.expires_at:%Y-%m-%d}" if invite.expires_at else "",
        f"{invite.uses}/{invite.max_uses} uses" if invite.max_uses else f"{invite.uses} uses",
    ]
    body = (
        (intro + "\n" if intro else "")
        + f"Source: {invite.source}"
        + (f" · campaign {invite.campaign}" if invite.campaign else "")
        + f" · {', '.join(x for x in limits if x)}\n"
        + f"Landing link (counts visits): {landing}"
    )
    return Message(
        title=f"Invite code {invite.code}",
        body=body,
        fields=(MessageField("Code", invite.code), *fields),
        image=Image(data=await qr_png(landing), alt=f"QR code for {landing}"),
    )


def parse_create(text: str, tz: str, now: datetime) -> dict[str, Any]:
    """`job-fair campaign=berlin expires=2026-12-31 uses=100 code=FAIR26` → keyword args."""
    words = text.split()
    if not words or words[0].lower() not in SOURCES:
        raise UsageError(f"name a source first: {', '.join(SOURCES)}")
    found: dict[str, Any] = {"source": words[0].lower()}
    given, stray = options(" ".join(words[1:]), ("campaign", "expires", "uses", "code"))
    if stray:
        raise UsageError(f"{stray[0][:30]} is not an option (campaign=, expires=, uses=, code=)")
    for key, value in given.items():
        if key == "campaign":
            found[key] = bounded(value, "campaign=", CAMPAIGN)
        elif key == "expires":
            found["expires_at"] = end_of(day(value, "expires="), tz)
            if found["expires_at"] <= now:
                raise UsageError(f"expires={value} has passed: a new code needs a later date")
        elif key == "uses":
            found["max_uses"] = whole(value, "uses= (how many may join with it)", 1, 1_000_000)
        else:
            found[key] = value
    return found


async def show(ctx: Context[CommandInvoked]) -> None:
    ref = ctx.args["code"]
    invite = await code_named(ctx.session, ref)
    if invite is None:
        raise UsageError(f"there is no code “{ref[:32]}”; {ctx.cmd('invites', 'list')} lists them")
    ctx.reply(await code_message(ctx, invite))


async def listing(ctx: Context[CommandInvoked]) -> None:
    ctx.reply(await _listing(ctx))


async def export(ctx: Context[CommandInvoked]) -> None:
    rows = await code_rows(ctx.session, ctx.now)
    ctx.reply(
        Message(
            body=f"{len(rows)} invite codes, as CSV.",
            attachment=Attachment("invite-codes.csv", to_csv(rows), "text/csv"),
        )
    )


async def create(ctx: Context[CommandInvoked]) -> None:
    text = ctx.args["options"]
    try:
        options = parse_create(text, ctx.settings.community.timezone, ctx.now)
        options.setdefault("code", new_code(options["source"]))
        invite = await create_code(ctx.session, now=ctx.now, created_by=ctx.member_id, **options)
    except (UsageError, ValueError) as exc:
        example = ctx.cmd("invites", "create job-fair campaign=berlin-2026 expires=2026-12-31")
        ctx.refuse(f"Hmm, {exc}. Nothing was created. Example: `{example}`")
        return
    ctx.audit("invites.create", code=invite.code, source=invite.source)
    ctx.reply(await code_message(ctx, invite, "Created. Hand it out:"))


async def _listing(ctx: Context[CommandInvoked]) -> Message:
    rows = await code_rows(ctx.session, ctx.now)
    lines = [
        f"**{r['code']}** {r['source']}{' · ' + r['campaign'] if r['campaign'] else ''}: "
        f"{r['joins']} joins, {r['visits']} visits"
        + (f" · {r['state']}" if r["state"] != "usable" else "")
        + (f" · ⚠ {r['flagged']} joins in bursts" if r["flagged"] else "")
        for r in rows
        if r["source"] != "employee-referral" or r["flagged"]
    ]
    hint = f"\n\n{ctx.cmd('invites', 'show CODE')} gives a code's links and QR code."
    return Message(
        title="Invite codes", body=("\n".join(lines) or "No codes yet.") + (hint if lines else "")
    )


async def code_rows(session: Any, now: datetime) -> list[dict[str, Any]]:
    found = []
    for invite, flagged in await all_codes(session):
        found.append(
            {
                "code": invite.code,
                "source": invite.source,
                "campaign": invite.campaign or "",
                "joins": await joins_through(session, invite.id or 0),
                "visits": invite.visits,
                "uses": invite.uses,
                "max_uses": invite.max_uses or "",
                "expires_at": invite.expires_at.isoformat() if invite.expires_at else "",
                "state": usable(invite, now) or "usable",
                "flagged": flagged,
                "created_at": invite.created_at.isoformat(),
            }
        )
    return found


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({key: cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue().encode()


# -- employees -------------------------------------------------------------------------------


async def referral(ctx: Context[CommandInvoked]) -> None:
    """The employee's personal code: made once, the same every time after."""
    invite = await personal_code(ctx.session, ctx.member_id)
    if invite is None:
        invite = await create_code(
            ctx.session,
            source="employee-referral",
            now=ctx.now,
            referrer_id=ctx.member_id,
            created_by=ctx.member_id,
        )
    intro = (
        "Your personal referral code: share it with people you'd like as colleagues. "
        f"A referral counts once they've joined, filled in their profile and come back after "
        f"{ctx.settings.pipeline.referral_active_after_days} days."
    )
    ctx.dm(await code_message(ctx, invite, intro))


async def referrals(ctx: Context[CommandInvoked]) -> None:
    pipeline = ctx.settings.pipeline
    await qualify_due(ctx.session, after_days=pipeline.referral_active_after_days)
    counts = await referral_counts(
        ctx.session, ctx.member_id, ctx.now - timedelta(days=pipeline.active_days)
    )
    month = ctx.now.astimezone(ZoneInfo(ctx.settings.community.timezone)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    board = await leaderboard(ctx.session, month)
    names = await first_names(ctx.session, [member for member, _ in board])
    lines = [
        f"{rank}. {'you' if member == ctx.member_id else names.get(member, 'someone')}: {n}"
        for rank, (member, n) in enumerate(board, 1)
    ]
    ctx.dm(
        Message(
            title="Your referrals",
            body="**This month's leaderboard** (qualified referrals)\n"
            + ("\n".join(lines) or "Nobody has a qualified referral this month yet."),
            fields=(
                MessageField("Joined", str(counts.joined)),
                MessageField("Qualified", str(counts.qualified)),
                MessageField("Active", str(counts.active)),
                MessageField("Applied", str(counts.applied)),
            ),
        )
    )


async def invites_tool(settings: Settings, db: Database, args: argparse.Namespace) -> int:
    """`roost invites create|list|export`: codes made here get their Telegram and Discord links
    from the running Roost the first time HR shows them in chat."""
    now = SystemClock().now()
    async with db.session() as session:
        if args.action == "create":
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
        rows = await code_rows(session, now)
    if args.action == "export":
        write_out(args.output, to_csv(rows), len(rows))
    else:
        for row in rows:
            print(f"{row['code']}\t{row['source']}\t{row['joins']} joins\t{row['state']}")
    return 0


def invites_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["create", "list", "export"])
    parser.add_argument(
        "options", nargs="*", help="for create: SOURCE [campaign=…] [expires=…] [uses=…] [code=…]"
    )
    parser.add_argument("--qr", help="create: a PNG file to write the QR code to")
    parser.add_argument("-o", "--output", help="export: a CSV file (default standard output)")


router = Router(
    "growth",
    tools=(Tool("invites", "source-tagged invite codes", invites_tool, invites_arguments),),
    commands=(
        Command(
            "invites",
            None,
            "Invite codes tagged with their source: every platform's way in, a landing link "
            "and a QR code.",
            role=Role.HR,
            subcommands=(
                Command(
                    "create",
                    create,
                    f"A code for a source ({', '.join(SOURCES)}); campaign=, expires=, uses=, "
                    "code= are optional.",
                    args=(Arg("options", "SOURCE [campaign= expires= uses= code=]", rest=True),),
                    role=Role.HR,
                    example="job-fair campaign=berlin-2026 expires=2026-12-31",
                ),
                Command("list", listing, "Joins and visits per code.", role=Role.HR),
                Command(
                    "show",
                    show,
                    "A code's links and QR code.",
                    args=(Arg("code"),),
                    role=Role.HR,
                    example="FAIR26",
                ),
                Command("export", export, "Every code, as CSV.", role=Role.HR),
            ),
        ),
        Command(
            "referral",
            referral,
            "Your personal referral code and links (employees).",
            role=Role.EMPLOYEE,
        ),
        Command(
            "referrals",
            referrals,
            "Who joined through your referral code, and this month's leaderboard.",
            role=Role.EMPLOYEE,
        ),
    ),
)
