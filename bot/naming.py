"""How HR names members and labels in commands, and how times ago read, for every feature that
needs them (one place, not one feature lending to the others)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.context import Context
from storage.members import resolve
from storage.models import Member

MEMBER_HINT = "Name a member as #12, @handle or platform:user_id."


async def named_member(ctx: Context[Any], ref: str) -> Member | None:
    """The member HR named (`#12`, `@handle`, `platform:user_id`), or None with HR told how
    to name one."""
    member = await resolve(ctx.session, ref, ctx.platform)
    if member is None:
        ctx.refuse(f"I can't find {ref[:40]}. {MEMBER_HINT}")
    return member


def label_name(text: str) -> str:
    return "-".join(text.lower().split())[:40]


def ago(now: datetime, then: datetime | None) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"
