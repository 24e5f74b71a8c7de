"""The growth reports: every invite code with what it brought (the Invite codes tab, `/invites
list` and `export`, `roost invites`), and the employees' referral leaderboard."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from bot.pages import Tab
from bot.reports import Column, Query, Report, Sheet
from storage.growth import all_codes, joins_through, leaderboard, usable
from storage.members import first_names
from storage.models import InviteCode

CODES_TAB = Tab("codes", "Invite codes", 40)


class CodeRow(NamedTuple):
    invite: InviteCode
    joins: int
    state: str  # usable, or why not
    flagged: int  # joins through it that came in bursts


def _said(r: CodeRow) -> str | None:
    """A code in chat; a personal referral code only when something is wrong with it."""
    code = r.invite
    if code.source == "employee-referral" and not r.flagged:
        return None
    return (
        f"**{code.code}** {code.source}{' · ' + code.campaign if code.campaign else ''}: "
        f"{r.joins} joins, {code.visits} visits"
        + (f" · {r.state}" if r.state != "usable" else "")
        + (f" · ⚠ {r.flagged} joins in bursts" if r.flagged else "")
    )


async def codes_sheet(query: Query) -> Sheet[CodeRow]:
    rows = [
        CodeRow(code, await joins_through(query.session, code.id or 0),
                usable(code, query.now) or "usable", flagged)
        for code, flagged in await all_codes(query.session)
    ]  # fmt: skip
    return Sheet(
        "Invite codes",
        (
            Column("code", lambda r: r.invite.code),
            Column("source", lambda r: r.invite.source),
            Column("campaign", lambda r: r.invite.campaign or ""),
            Column("joins", lambda r: r.joins),
            Column("visits", lambda r: r.invite.visits),
            Column("uses", lambda r: r.invite.uses),
            Column("max_uses", lambda r: r.invite.max_uses or ""),
            Column(
                "expires_at",
                lambda r: r.invite.expires_at.isoformat() if r.invite.expires_at else "",
            ),
            Column("state", lambda r: r.state),
            Column("flagged", lambda r: r.flagged),
            Column("created_at", lambda r: r.invite.created_at.isoformat()),
        ),
        rows,
        sentence=_said,
        empty="No codes yet.",
        picture=lambda r: (
            f"QR code for {r.invite.code}",
            f"/dashboard/codes/{r.invite.id}/qr.png",
        ),
    )


CODES = Report("codes", "Joins and visits per invite code.", codes_sheet, CODES_TAB)


class Referrer(NamedTuple):
    name: str
    qualified: int


async def referrals_sheet(query: Query) -> Sheet[Referrer]:
    days = query.days(90)
    best = await leaderboard(query.session, query.now - timedelta(days=days))
    named = await first_names(query.session, [m for m, _ in best])
    return Sheet(
        f"Referral leaderboard, last {days} days",
        (
            Column("employee", lambda r: r.name),
            Column("qualified referrals", lambda r: r.qualified),
        ),
        [Referrer(named[m], n) for m, n in best],
        sentence=lambda r: f"{r.name}: {r.qualified} qualified referrals",
        empty="No qualified referrals in this period.",
    )


REFERRALS = Report(
    "referrals",
    "The employees whose referrals joined, stayed and came back.",
    referrals_sheet,
    CODES_TAB,
    options=("days",),
    example="90",
)
