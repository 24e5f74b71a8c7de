"""HR's view of the community in chat: label members, find them, count them, export them."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers.members.spreadsheet import CSV_COLUMNS, csv_row
from bot.messages import Attachment, Message, MessageField
from bot.naming import ago, label_name, named_member
from bot.parsing import whole
from bot.router import UsageError
from bot.segments import parse_filter
from storage.engagement import level
from storage.members import (
    MemberFilter,
    accounts_of,
    breakdown,
    label_of,
    labels,
    search,
    segment_members,
)
from storage.models import Label, Member


async def label(ctx: Context[CommandInvoked]) -> None:
    target = await named_member(ctx, ctx.args["member"])
    if target is None or target.id is None:
        return
    name = label_name(ctx.args["label"])
    if name in await labels(ctx.session, target.id):
        ctx.reply(f"#{target.id} already has the label {name}.")
        return
    ctx.session.add(
        Label(
            member_id=target.id, name=name, created_by_member_id=ctx.member.id, created_at=ctx.now
        )
    )
    ctx.audit("label", target, label=name)
    ctx.reply(f"Labelled #{target.id} {target.display_name or ''}: {name}".rstrip())


async def unlabel(ctx: Context[CommandInvoked]) -> None:
    target = await named_member(ctx, ctx.args["member"])
    if target is None or target.id is None:
        return
    name = label_name(ctx.args["label"])
    found = await label_of(ctx.session, target.id, name)
    if found is None:
        ctx.reply(f"#{target.id} has no label {name}.")
        return
    await ctx.session.delete(found)
    ctx.audit("unlabel", target, label=name)
    ctx.reply(f"Removed the label {name} from #{target.id}.")


PAGE = 20


async def members(ctx: Context[CommandInvoked]) -> None:
    """A page of the segment (`page=2` for the next), or all of it as CSV (`csv`)."""
    words, page, as_csv = [], 1, False
    for word in ctx.args.get("filters", "").split():
        key, _, value = word.partition("=")
        if word.lower() == "csv":
            as_csv = True
        elif key.lower() == "page":
            page = whole(value, "page=", 1, 99_999)
        else:
            words.append(word)
    try:
        flt = parse_filter(" ".join(words), ctx.settings)
    except UsageError as exc:
        example = ctx.cmd("members", "function=engineering active=30d consent=jobs")
        ctx.refuse(f"Hmm, {exc}. Example: `{example}` (add page=2 for more, csv for a file)")
        return
    used = sorted({w.partition("=")[0].lower() for w in words})
    ctx.audit("members.csv" if as_csv else "members.search", filters=used)  # keys only
    if as_csv:
        await _export(ctx, flt, words)
        return
    total, found = await search(ctx.session, flt, ctx.now, limit=PAGE, offset=(page - 1) * PAGE)
    by_function = await breakdown(ctx.session, flt, ctx.now, "function")
    lines = [await _line(ctx, m) for m in found]
    shown = (page - 1) * PAGE + len(found)
    more = ""
    if total > shown:
        following = " ".join([*words, f"page={page + 1}"])
        more = f"\n…{total - shown} more: `{ctx.cmd('members', following)}`"
    ctx.reply(
        Message(
            title=f"{total} member{'s' if total != 1 else ''} match"
            + (f" (page {page})" if page > 1 else ""),
            body="\n".join(lines) + more if lines else "Nobody matches these filters here.",
            fields=tuple(MessageField(name, str(count)) for name, count in by_function[:10]),
        )
    )


async def _export(ctx: Context[CommandInvoked], flt: MemberFilter, words: list[str]) -> None:
    """The whole segment as a CSV file, read a chunk at a time, as large as this platform
    takes a file; a larger segment is for the dashboard, which streams it to the browser."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count, levels = 0, ctx.settings.engagement.levels
    limit = ctx.capabilities.max_upload
    async for chunk in segment_members(ctx.session, flt, ctx.now):
        writer.writerows(csv_row(m, platforms, levels) for m, platforms in chunk)
        count += len(chunk)
        if out.tell() > limit:  # a character is a byte or more: never under the limit
            query = urlencode({"filters": " ".join(words)})
            url = f"{ctx.settings.web.public_url.rstrip('/')}/dashboard/members.csv?{query}"
            ctx.dm(
                f"This segment is more than {limit // 2**20} MB as a spreadsheet, more than "
                f"{ctx.platform} takes as a file. Download it from the dashboard (sign in with "
                f"`{ctx.cmd('dashboard')}`): {url}"
            )
            return
    ctx.dm(
        Message(
            title=f"{count} member{'s' if count != 1 else ''}",
            body="The segment as a spreadsheet: keep it as safe as the community itself.",
            attachment=Attachment("members.csv", out.getvalue().encode(), "text/csv"),
        )
    )


async def _line(ctx: Context[CommandInvoked], member: Member) -> str:
    assert member.id is not None
    accounts = await accounts_of(ctx.session, member.id)
    where = ", ".join(f"{i.platform}:@{i.handle}" if i.handle else i.platform for i in accounts)
    tags = await labels(ctx.session, member.id)
    parts = [
        f"#{member.id} {member.display_name or '(no name)'} ({where})",
        "/".join(p for p in (member.function, member.seniority) if p) or "not onboarded",
        member.location or "",
        f"labels: {', '.join(tags)}" if tags else "",
        level(member.engagement, ctx.settings.engagement.levels),
        f"active {ago(ctx.now, member.last_active_at)}",
        f"contacted {ago(ctx.now, member.last_contact_at)}",
    ]
    return " · ".join(p for p in parts if p)
