"""What every code a member types passes first (invite codes and link codes alike): a guard
against trying codes until one works."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from storage.growth import throttled


async def code_wait(ctx: Context[Any]) -> str | None:
    """This try counted; how long to wait when there were too many, else None."""
    limits = ctx.settings.pipeline
    return await throttled(
        ctx.session,
        ctx.member_id,
        ctx.now,
        per_minute=limits.redeem_per_minute,
        per_day=limits.redeem_per_day,
    )
