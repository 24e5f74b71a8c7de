"""One person across platforms (`/link`, `/unlink`), and HR's view of one member (`/member`,
`/note`) with the engagement that says who is warming up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.codes import code_wait
from bot.context import Context
from bot.events import CommandInvoked
from bot.kinds import Duty, Signal
from bot.messages import Message, MessageField
from bot.naming import MEMBER_HINT, ago, named_member
from bot.parsing import bounded
from bot.router import Arg, Command, Role, Router
from bot.settings import Settings
from storage import engagement
from storage.members import ConsentKind, accounts_of, consents, labels
from storage.models import Identity, Join, Member, MemberNote
from storage.people import (
    elder,
    joins_of,
    latest_consents,
    merge,
    new_link_code,
    notes_of,
    redeem,
    timeline,
    unlink,
)

CHOICES = {ConsentKind.NEWS: "news", ConsentKind.JOBS: "job invitations"}


async def link(ctx: Context[CommandInvoked]) -> None:
    """`/link` gives a code; `/link CODE` on another platform joins the two accounts;
    `/link here` makes this platform the one campaigns use."""
    typed = ctx.args.get("code", "").strip()
    if not typed:
        minutes = ctx.settings.engagement.link_minutes
        fresh = await new_link_code(ctx.session, ctx.member_id, ctx.now, timedelta(minutes=minutes))
        ctx.dm(
            f"Your link code is **{fresh}**. On your other platform, send Roost "
            f"`/link {fresh}` within {minutes} minutes, and your accounts become one: one "
            "profile, one set of choices, one copy of every message."
        )
        return
    if typed.lower() == "here":
        ctx.member.preferred_identity_id = ctx.identity.id
        ctx.reply(f"Done: Roost's messages reach you here on {ctx.platform} from now on.")
        return
    wait = await code_wait(ctx)
    if wait is not None:
        ctx.reply(f"You've tried a lot of codes just now; try again {wait}.")
        return
    code = await redeem(ctx.session, typed, ctx.now)
    if code is None:
        ctx.reply(
            f"That link code isn't valid: it may have expired or been used. Send "
            f"`{ctx.cmd('link')}` on your other platform for a new one."
        )
        return
    if code.member_id == ctx.member_id:
        ctx.reply("This account is already part of that profile.")
        return
    other = await ctx.session.get(Member, code.member_id)
    if other is None or other.erased_at is not None:
        ctx.reply("That profile no longer exists.")
        return
    keep, gone = elder(other, ctx.member)
    before = [await consents(ctx.session, m.id or 0) for m in (keep, gone)]
    profiles = [_profile(m) for m in (keep, gone) if m.onboarded_at is not None]
    await merge(ctx.session, keep, gone, ctx.now)
    kept = await ctx.session.get(Member, keep.id)
    assert kept is not None
    ctx.member = kept
    platforms = sorted({a.platform for a in await accounts_of(ctx.session, ctx.member_id)})
    notes = []
    if before[0] != before[1]:  # say which answer now counts, not just that it does
        now = await consents(ctx.session, ctx.member_id)
        shown = ", ".join(f"{CHOICES[k]} {'on' if v else 'off'}" for k, v in now.items())
        notes.append(
            f"Your accounts had different message choices; the newer answer counts: {shown} "
            f"(`{ctx.cmd('consent')}` changes them)."
        )
    if len(set(profiles)) > 1:
        notes.append(
            f"Your profile is the one you gave first: {_profile(kept)} "
            f"(`{ctx.cmd('profile')}` changes it)."
        )
    ctx.reply(
        f"Linked: you're one member on {' and '.join(platforms)}. Send `{ctx.cmd('link', 'here')}` "
        f"where you'd like Roost's messages, or `{ctx.cmd('unlink')}` to undo this."
        + "".join(f"\n{note}" for note in notes)
    )


async def unlink_account(ctx: Context[CommandInvoked]) -> None:
    accounts = await accounts_of(ctx.session, ctx.member_id)
    if len(accounts) < 2:
        ctx.reply("This account isn't linked to another one.")
        return
    if ctx.member.preferred_identity_id == ctx.identity.id:
        ctx.member.preferred_identity_id = None
    await unlink(ctx.session, ctx.identity, ctx.now)
    ctx.reply(
        f"This {ctx.platform} account is on its own again and starts afresh: "
        f"`{ctx.cmd('join')}` sets it up. Your profile, your choices and what you did so far "
        "stay with your other accounts."
    )


# -- HR: one member's record -------------------------------------------------------------------


async def member(ctx: Context[CommandInvoked]) -> None:
    found = await named_member(ctx, ctx.args["member"])
    if found is None or found.id is None:
        return
    session, levels = ctx.session, ctx.settings.engagement.levels
    accounts = await accounts_of(session, found.id)
    joins = await joins_of(session, found.id)
    notes = await notes_of(session, found.id, limit=5)
    fields = [
        MessageField("Profile", _profile(found)),
        MessageField("Accounts", "\n".join(_account(ctx, a, found) for a in accounts) or "none"),
        MessageField("Source", _sources(joins)),
        MessageField("Consents", await _consents(ctx, found.id)),
        MessageField(
            "Engagement", f"{engagement.level(found.engagement, levels)} ({found.engagement})"
        ),
        MessageField("Last active", ago(ctx.now, found.last_active_at)),
        MessageField("Last contacted", ago(ctx.now, found.last_contact_at)),
        MessageField("Labels", ", ".join(await labels(session, found.id)) or "none"),
    ]
    happened = await timeline(session, found.id, limit=15)
    body = "\n".join(f"{at:%Y-%m-%d %H:%M} {what}" for at, what in happened)
    if notes:
        body += "\n\n**Notes**\n" + "\n".join(f"{n.at:%Y-%m-%d} {n.text}" for n in notes)
    ctx.audit("member.view", found)
    ctx.reply(
        Message(
            title=f"#{found.id} {found.display_name or '(no name)'}",
            body=body or "Nothing has happened yet.",
            fields=tuple(fields),
        ),
        ephemeral=True,
    )


def _profile(m: Member) -> str:
    parts = [m.function, m.seniority, m.location, m.interests]
    return " · ".join(p for p in parts if p) or "not onboarded"


def _account(ctx: Context[Any], account: Identity, m: Member) -> str:
    handle = f" @{account.handle}" if account.handle else ""
    chosen = " (chosen for messages)" if m.preferred_identity_id == account.id else ""
    reach = "" if account.deliverable else " (unreachable)"
    return f"{account.platform}{handle}, seen {ago(ctx.now, account.last_seen_at)}{chosen}{reach}"


def _sources(joins: list[Join]) -> str:
    """The first touch's source, and the other sources that touched them later (each once:
    joining on a second platform the same way is no second source)."""
    if not joins:
        return "none yet"
    first = next((j for j in joins if j.first_touch), joins[0])
    later = list(dict.fromkeys(j.source for j in joins if j.source != first.source))
    return first.source + (f" (also: {', '.join(later)})" if later else "")


async def _consents(ctx: Context[Any], member_id: int) -> str:
    lines = []
    answers = await latest_consents(ctx.session, member_id)
    for kind in ConsentKind:
        latest = answers.get(kind)
        answer = "never asked" if latest is None else ("yes" if latest.granted else "no")
        when = f" since {latest.at:%Y-%m-%d}" if latest else ""
        lines.append(f"{kind}: {answer}{when}")
    return "\n".join(lines)


NOTE = 1000  # characters of a note


async def note(ctx: Context[CommandInvoked]) -> None:
    found = await named_member(ctx, ctx.args["member"])
    if found is None or found.id is None:
        return
    text = bounded(" ".join(ctx.args.get("text", "").split()), "A note", NOTE)
    ctx.session.add(
        MemberNote(member_id=found.id, author_member_id=ctx.member.id, text=text, at=ctx.now)
    )
    ctx.audit("member.note", found)  # that a note was written, never what it says
    ctx.reply(f"Noted on #{found.id}. `{ctx.cmd('member', f'#{found.id}')}` shows it.")


async def score_everyone(session: Any, now: Any, settings: Settings) -> list[Signal]:
    await engagement.refresh(session, now, settings.engagement.window_days)
    return []


router = Router(
    "people",
    commands=(
        Command(
            "link",
            link,
            "Link your accounts on several platforms into one: /link gives a code to send on "
            "the other; /link here picks where Roost's messages reach you.",
            args=(Arg("code", "a code from /link, or here", required=False),),
        ),
        Command("unlink", unlink_account, "Take this account out of your linked profile."),
        Command(
            "member",
            member,
            "One member's record: profile, accounts, consents, engagement, what happened.",
            role=Role.HR,
            args=(Arg("member", MEMBER_HINT),),
        ),
        Command(
            "note",
            note,
            "Add a note to a member's record (erased with them).",
            role=Role.HR,
            args=(Arg("member", MEMBER_HINT), Arg("text", rest=True)),
        ),
    ),
    duties=(Duty("engagement", score_everyone, hour=4, at_first_start=True),),
)
