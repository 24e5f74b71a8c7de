"""Content queries: items, their title variants, and the open and finish numbers HR reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Campaign,
    ContentItem,
    ContentTally,
    Delivery,
    Interaction,
    PlatformPost,
    TitleVariant,
)
from storage.models.states import ContentKind, ContentStatus, DeliveryState

NEXT_TITLE = "next"  # a campaign's title rule: each member gets the title after their last

KINDS: dict[str, str] = {
    ContentKind.INDUSTRY_NEWS: "Industry news",
    ContentKind.COMPANY_NEWS: "Company news",
    ContentKind.EMPLOYEE_VOICE: "Employee voice",
}


async def variants(session: AsyncSession, content_id: int) -> list[TitleVariant]:
    query = select(TitleVariant).where(TitleVariant.content_id == content_id)
    return list(await session.exec(query.order_by(col(TitleVariant.position))))


async def record(
    session: AsyncSession,
    member_id: int | None,
    kind: str,
    content_id: int,
    variant_id: int | None,
    platform: str,
    at: datetime,
    *,
    once: bool = True,
) -> bool:
    """Add a fact (opened, finished, clicked); with `once`, a member's repeat is not counted."""
    if once and member_id is not None:
        seen = await session.exec(
            select(Interaction.id).where(
                Interaction.member_id == member_id,
                Interaction.kind == kind,
                Interaction.subject_type == "content",
                Interaction.subject_id == content_id,
            )
        )
        if seen.first() is not None:
            return False
    fact = Interaction(
        member_id=member_id,
        kind=kind,
        subject_type="content",
        subject_id=content_id,
        variant_id=variant_id,
        platform=platform,
        at=at,
    )
    session.add(fact)
    await tally(await session.connection(), [fact.model_dump()])
    return True


TALLY = ContentTally.__table__  # type: ignore[attr-defined]


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


async def tally(conn: AsyncConnection, facts: Iterable[Mapping[str, Any]]) -> None:
    """Count content facts into the hourly tally, in the caller's transaction. Only a
    member's facts through a title variant count (what `/stats content` reports); rows are
    upserted in key order, so concurrent writers lock them in one order and never deadlock."""
    counts = Counter(
        (f["subject_id"], f["variant_id"], f["kind"], hour_of(f["at"]))
        for f in facts
        if f["subject_type"] == "content"
        and f["member_id"] is not None
        and f["variant_id"] is not None
    )
    if not counts:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(TALLY)
    upsert = upsert.on_conflict_do_update(
        index_elements=["content_id", "variant_id", "kind", "hour"],
        set_={"facts": TALLY.c.facts + upsert.excluded.facts},
    )
    await conn.execute(
        upsert,
        [
            {"content_id": c, "variant_id": v, "kind": k, "hour": h, "facts": n}
            for (c, v, k, h), n in sorted(counts.items())
        ],
    )


async def retally(conn: AsyncConnection) -> None:
    """The tally counted again from the fact log, for facts written around `record` and the
    delivery ledger (the benchmark's seed)."""
    hour = (
        "date_trunc('hour', at)"
        if conn.dialect.name == "postgresql"
        else "strftime('%Y-%m-%d %H:00:00.000000', at)"
    )
    await conn.execute(TALLY.delete())
    await conn.execute(
        text(
            "INSERT INTO content_tally (content_id, variant_id, kind, hour, facts)"
            f" SELECT subject_id, variant_id, kind, {hour}, count(*) FROM interaction"
            " WHERE subject_type = 'content' AND member_id IS NOT NULL"
            f" AND variant_id IS NOT NULL GROUP BY subject_id, variant_id, kind, {hour}"
        )
    )


@dataclass(frozen=True)
class VariantStats:
    title: str
    delivered: int
    opened: int
    finished: int

    @property
    def open_rate(self) -> float:
        return self.opened / self.delivered if self.delivered else 0.0

    @property
    def finish_rate(self) -> float:
        """Of those who opened, how many finished: is the content worth it?"""
        return self.finished / self.opened if self.opened else 0.0


async def item_stats(
    session: AsyncSession, item: ContentItem, since: datetime
) -> list[VariantStats]:
    """Each title's numbers from the hour `since` falls in, read from the tally."""
    assert item.id is not None
    counts = await session.exec(
        select(ContentTally.variant_id, ContentTally.kind, func.sum(ContentTally.facts))
        .where(ContentTally.content_id == item.id, ContentTally.hour >= hour_of(since))
        .group_by(col(ContentTally.variant_id), col(ContentTally.kind))
    )
    by: dict[tuple[int | None, str], int] = {(v, k): int(n) for v, k, n in counts}
    return [
        VariantStats(
            v.title,
            by.get((v.id, "delivered"), 0),
            by.get((v.id, "opened"), 0),
            by.get((v.id, "finished"), 0),
        )
        for v in await variants(session, item.id)
    ]


async def posts_of(session: AsyncSession, subject_type: str, subject_id: int) -> list[PlatformPost]:
    """Where a subject was posted, on every platform."""
    query = select(PlatformPost).where(
        PlatformPost.subject_type == subject_type, PlatformPost.subject_id == subject_id
    )
    return list(await session.exec(query))


async def latest_items(session: AsyncSession, limit: int = 20) -> list[ContentItem]:
    query = select(ContentItem).order_by(col(ContentItem.id).desc()).limit(limit)
    return list(await session.exec(query))


async def has_gone_out(session: AsyncSession, item_id: int) -> bool:
    """Whether any campaign of this item has launched (then it can no longer change)."""
    query = select(Campaign.id).where(
        Campaign.subject_type == "content",
        Campaign.subject_id == item_id,
        col(Campaign.launched_at).is_not(None),
    )
    return (await session.exec(query)).first() is not None


async def delivered_item(session: AsyncSession, token: str) -> tuple[Delivery, ContentItem] | None:
    """The row a member's token names and the content item it delivered; None for a token
    of anything else (a job invitation is no article)."""
    row = (await session.exec(select(Delivery).where(Delivery.token == token))).first()
    campaign = await session.get(Campaign, row.campaign_id) if row else None
    content = campaign.subject_id if campaign and campaign.subject_type == "content" else None
    item = await session.get(ContentItem, content) if content else None
    return (row, item) if row is not None and item is not None else None


async def approved_items(session: AsyncSession) -> list[ContentItem]:
    query = select(ContentItem).where(ContentItem.status == ContentStatus.APPROVED)
    return list(await session.exec(query))


async def titles_sent(
    session: AsyncSession, content_id: int, member_ids: Sequence[int]
) -> dict[int, int]:
    """The title variant each of these members was sent last of a content item."""
    found: dict[int, int] = {}
    for start in range(0, len(member_ids), 5000):
        chunk = member_ids[start : start + 5000]
        rows = await session.exec(
            select(Delivery.member_id, Delivery.variant_id)
            .join(Campaign, col(Campaign.id) == Delivery.campaign_id)
            .where(
                Campaign.subject_type == "content",
                Campaign.subject_id == content_id,
                col(Delivery.member_id).in_(chunk),
                col(Delivery.variant_id).is_not(None),
                Delivery.state == DeliveryState.SENT,
            )
            .order_by(col(Delivery.id))
        )
        for member_id, variant_id in rows:
            if member_id is not None and variant_id is not None:
                found[member_id] = variant_id
    return found
