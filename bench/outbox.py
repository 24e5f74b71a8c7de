"""The outbox alone: rows claimed and recorded per second (no sending), on SQLite and
PostgreSQL, beside the same rows merely inserted and updated in bulk (the floor any outbox
pays); and peak memory while a campaign to many members is made."""

from __future__ import annotations

import os
import resource
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update
from sqlmodel import col

from bench.util import postgres, sqlite
from storage.db import Database
from storage.members import MemberFilter
from storage.models import Campaign, Consent, Delivery, Identity, Member
from storage.outbox import Recipients, claim, enqueue

ROWS = int(os.environ.get("ROOST_BENCH_ROWS", "20000"))
MEMBERS = int(os.environ.get("ROOST_BENCH_MEMBERS", "100000"))
NOW = datetime(2026, 11, 27, tzinfo=UTC)


async def _campaign(db: Database) -> int:
    async with db.session() as session:
        campaign = Campaign(kind="content", subject_type="content", subject_id=1, created_at=NOW)
        session.add(campaign)
        await session.commit()
        return campaign.id or 0


async def throughput(db: Database, label: str) -> None:
    campaign = await _campaign(db)
    rows = [
        {
            "campaign_id": campaign,
            "recipient": f"c:bench:{i}",
            "platform": "bench",
            "state": "pending",
            "attempts": 0,
        }
        for i in range(ROWS)
    ]
    async with db.session() as session:
        started = time.perf_counter()
        await session.exec(insert(Delivery), params=rows)
        await session.exec(
            update(Delivery).where(col(Delivery.campaign_id) == campaign).values(state="sent")
        )
        await session.commit()
        bare = ROWS / (time.perf_counter() - started)
        await session.exec(
            update(Delivery).where(col(Delivery.campaign_id) == campaign).values(state="pending")
        )
        await session.commit()
    started = time.perf_counter()
    done = 0
    while True:
        async with db.session() as session:
            claimed = await claim(
                session, batch=500, now=NOW, postgres=not db.is_sqlite, worker="bench"
            )
            if not claimed:
                break
            ids = [r.id for r in claimed]
            await session.exec(
                update(Delivery).where(col(Delivery.id).in_(ids)).values(state="sent", sent_at=NOW)
            )
            await session.commit()
            done += len(ids)
    rate = done / (time.perf_counter() - started)
    print(
        f"{label:<11} outbox {rate:8.0f} rows/s claimed and recorded   bulk insert+update "
        f"{bare:8.0f} rows/s   ratio {rate / bare:4.2f}"
    )


async def memory(db: Database) -> None:
    for start in range(0, MEMBERS, 10000):  # in chunks, so the setup's own peak stays low
        ids = range(start + 1, min(start + 10000, MEMBERS) + 1)
        async with db.session() as session:
            await session.exec(
                insert(Member),
                params=[
                    {"id": i, "created_at": NOW, "onboarded_at": NOW, "consent_news": True}
                    for i in ids
                ],
            )
            await session.exec(
                insert(Identity),
                params=[
                    {
                        "member_id": i,
                        "platform": "bench",
                        "platform_user_id": str(i),
                        "deliverable": True,
                        "created_at": NOW,
                    }
                    for i in ids
                ],
            )
            await session.exec(
                insert(Consent),
                params=[
                    {
                        "member_id": i,
                        "kind": "news",
                        "granted": True,
                        "wording_version": "1",
                        "platform": "bench",
                        "at": NOW,
                    }
                    for i in ids
                ],
            )
            await session.commit()
    campaign = await _campaign(db)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    async with db.session() as session:
        counts = await enqueue(
            session,
            campaign,
            Recipients(members=MemberFilter(onboarded=True)),
            now=NOW,
            cap=3,
            cap_window=timedelta(days=7),
        )
        await session.commit()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"campaign to {MEMBERS} members: {counts.get('pending', 0)} rows "
        f"in {time.perf_counter() - started:.1f} s, peak RSS {peak:.0f} MB (was {before:.0f} MB)"
    )


async def main() -> None:
    print(f"outbox alone: {ROWS} rows, claimed in batches of 500")
    async with sqlite() as db:
        await memory(db)  # first, before anything else raises the process's peak
    async with sqlite() as db:
        await throughput(db, "SQLite")
    async with postgres() as pg:
        if pg is None:
            print("PostgreSQL  skipped: not reachable")
            return
        await throughput(pg, "PostgreSQL")
