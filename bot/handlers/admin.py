"""HR's view of the community: label members, find them, count them."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context
from bot.events import CommandInvoked
from bot.messages import Message, MessageField
from bot.router import Arg, Command, Role, Router, UsageError
from bot.segments import parse_filter
from storage.members import accounts_of, breakdown, label_of, labels, resolve, search
from storage.models import Label, Member

MEMBER_HINT = "Name a member as #12, @handle or platform:user_id."


def label_name(text: str) -> str:
    return "-".join(text.lower().split())[:40]


async def named_member(ctx: Context[CommandInvoked]) -> Member | None:
    member = await resolve(ctx.session, ctx.args["member"], ctx.platform)
    if member is None:
        ctx.reply(f"I can't find {ctx.args['member'][:40]}. {MEMBER_HINT}")
    return member


async def label(ctx: Context[CommandInvoked]) -> None:
    target = await named_member(ctx)
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
    target = await named_member(ctx)
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


async def members(ctx: Context[CommandInvoked]) -> None:
    try:
        flt = parse_filter(ctx.args.get("filters", ""))
    except UsageError as exc:
        example = ctx.cmd("members", "function=engineering active=30d consent=jobs")
        ctx.reply(f"Hmm, {exc}. Example: `{example}`")
        return
    total, found = await search(ctx.session, flt, ctx.now)
    by_function = await breakdown(ctx.session, flt, ctx.now, "function")
    lines = [await _line(ctx, m) for m in found]
    more = f"\n…and {total - len(found)} more." if total > len(found) else ""
    used = sorted({t.partition("=")[0].lower() for t in ctx.args.get("filters", "").split()})
    ctx.audit("members.search", filters=used, matched=total)  # keys only: values can be personal
    ctx.reply(
        Message(
            title=f"{total} member{'s' if total != 1 else ''} match",
            body="\n".join(lines) + more if lines else "Nobody matches these filters.",
            fields=tuple(MessageField(name, str(count)) for name, count in by_function[:10]),
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
        f"active {ago(ctx.now, member.last_active_at)}",
    ]
    return " · ".join(p for p in parts if p)


def ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


router = Router(
    "admin",
    commands=(
        Command(
            "label",
            label,
            "Add a label to a member.",
            role=Role.HR,
            args=(Arg("member"), Arg("label", rest=True)),
        ),
        Command(
            "unlabel",
            unlabel,
            "Remove a label from a member.",
            role=Role.HR,
            args=(Arg("member"), Arg("label", rest=True)),
        ),
        Command(
            "members",
            members,
            "Find and count members: function= seniority= location= label= source= "
            "platform= active=30d inactive=90d consent=news|jobs onboarded=yes|no",
            role=Role.HR,
            args=(Arg("filters", required=False, rest=True),),
        ),
    ),
)
