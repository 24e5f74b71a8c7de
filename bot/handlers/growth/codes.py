"""Invite codes for HR: make a source-tagged code with every platform's way in, a landing
link and a QR code; list and export them (the codes report, rendered for chat)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers.growth.report import codes_sheet
from bot.messages import Attachment, Image, Message, MessageField
from bot.parsing import bounded, day, end_of, options, whole
from bot.pictures import qr_png
from bot.reports import as_csv, as_message
from bot.router import UsageError
from storage.growth import SOURCES, add_links, code_named, create_code, new_code
from storage.models import InviteCode

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
    """The codes report in chat (personal referral codes only when flagged), and how to get
    a code's links."""
    message = await as_message(await codes_sheet(ctx.query()))
    hint = f"\n\n{ctx.cmd('invites', 'show CODE')} gives a code's links and QR code."
    ctx.reply(dataclasses.replace(message, body=message.body + hint))


async def export(ctx: Context[CommandInvoked]) -> None:
    sheet = await codes_sheet(ctx.query())
    ctx.reply(
        Message(
            body=f"{len(sheet.rows)} invite codes, as CSV.",
            attachment=Attachment("invite-codes.csv", as_csv(sheet), "text/csv"),
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
