"""Employees' referrals: a personal code made once, and what it brought."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers.growth.codes import code_message
from bot.messages import Message, MessageField
from storage.growth import create_code, leaderboard, personal_code, qualify_due, referral_counts
from storage.members import first_names


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
