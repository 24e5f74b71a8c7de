"""Forms in progress, one per platform account (see `bot.flow`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FormProgress


async def progress(session: AsyncSession, platform: str, user_id: str) -> FormProgress | None:
    return await session.get(FormProgress, (platform, user_id))


async def save_progress(
    session: AsyncSession,
    platform: str,
    user_id: str,
    member_id: int,
    kind: str,
    state: dict[str, Any],
    now: datetime,
) -> None:
    """Keep (or replace) this account's form in progress."""
    found = await progress(session, platform, user_id)
    if found is None:
        found = FormProgress(
            platform=platform,
            platform_user_id=user_id,
            member_id=member_id,
            kind=kind,
            state=state,
            updated_at=now,
        )
    else:
        found.member_id, found.kind, found.state, found.updated_at = member_id, kind, state, now
    session.add(found)


async def end_progress(session: AsyncSession, platform: str, user_id: str) -> None:
    await session.exec(
        delete(FormProgress).where(
            col(FormProgress.platform) == platform, col(FormProgress.platform_user_id) == user_id
        )
    )
