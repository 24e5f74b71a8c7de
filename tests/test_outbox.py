"""The outbox's promises, on SQLite and PostgreSQL: no row claimed twice, nothing lost after a
crash, failures retried with backoff or given up with a reason, one scheduler at a time."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
from apscheduler.events import EVENT_JOB_EXECUTED
from sqlmodel import col, select

from bot.app import build_app
from bot.clock import ManualClock, SystemClock
from bot.handlers.content import CONTENT
from bot.scheduler.jobs import RUNNING
from bot.settings import Settings
from storage.campaigns import Audience, list_members
from storage.db import Database
from storage.leases import hold
from storage.models import Campaign, ContentItem, Delivery, Interaction, TitleVariant
from storage.models.states import CampaignStatus
from storage.outbox import claim, mark_sending, recover
from tests.chat import Chat
from tests.seed import approved_content, launch, members_on


async def campaign_with_rows(
    db: Database, now: datetime, count: int, platform: str = "console"
) -> int:
    async with db.session() as session:
        item = ContentItem(kind="company_news", body="Body", status="approved", created_at=now)
        session.add(item)
        await session.flush()
        session.add(TitleVariant(content_id=item.id or 0, position=0, title="Title"))
        campaign = Campaign(
            kind="content", subject_type="content", subject_id=item.id or 0, created_at=now
        )
        session.add(campaign)
        await session.flush()
        for i in range(count):
            session.add(
                Delivery(
                    campaign_id=campaign.id or 0,
                    recipient=f"c:{platform}:{i}",
                    platform=platform,
                    token=f"t{campaign.id}-{i}",
                )
            )
        await session.commit()
        return campaign.id or 0


async def test_concurrent_workers_never_claim_the_same_row(
    db: Database, clock: ManualClock
) -> None:
    await campaign_with_rows(db, clock.now(), 120)

    async def worker() -> list[int]:
        taken: list[int] = []
        while True:
            async with db.session() as session:
                rows = await claim(
                    session, batch=7, now=clock.now(), postgres=not db.is_sqlite, worker="w"
                )
            if not rows:
                return taken
            taken += [r.id or 0 for r in rows]

    batches = await asyncio.gather(*(worker() for _ in range(4)))
    claimed = [row for batch in batches for row in batch]
    assert len(claimed) == 120 and len(set(claimed)) == 120


async def test_after_a_crash_only_rows_on_the_wire_are_uncertain(
    db: Database, clock: ManualClock
) -> None:
    """A dead worker's rows still `claimed` never went out: they are queued again. Of the rows
    that were `sending`, those a platform deduplicates (or whose campaign says resend) are
    resent, the rest are `unknown`. Rows of a worker still present are left alone."""
    console = await campaign_with_rows(db, clock.now(), 5, "console")
    discord = await campaign_with_rows(db, clock.now(), 2, "discord")
    resend = await campaign_with_rows(db, clock.now(), 1, "console")
    alive = await campaign_with_rows(db, clock.now(), 2, "console")
    ttl = timedelta(seconds=15)
    async with db.session() as session:
        assert await hold(session, "worker:dead", "worker:dead", now=clock.now(), ttl=ttl)
        assert await hold(session, "worker:alive", "worker:alive", now=clock.now(), ttl=ttl)
        postgres = not db.is_sqlite
        claimed = await claim(
            session, batch=8, now=clock.now(), postgres=postgres, worker="worker:dead"
        )
        await claim(session, batch=8, now=clock.now(), postgres=postgres, worker="worker:alive")
        on_wire = [r.id or 0 for r in claimed if r.campaign_id != console][:3] + [
            r.id or 0 for r in claimed if r.campaign_id == console
        ][:2]
        # the dead worker had five sends on the wire; a live worker cannot mark its rows
        conn = await session.connection()
        assert await mark_sending(conn, on_wire, worker="worker:dead") == set(on_wire)
        assert await mark_sending(conn, [r.id or 0 for r in claimed], worker="other") == set()
        await session.commit()
    clock.advance(timedelta(seconds=10))
    async with db.session() as session:  # still present: nothing is taken back
        assert await hold(session, "worker:alive", "worker:alive", now=clock.now(), ttl=ttl)
        assert await recover(session, now=clock.now(), idempotent={"discord"}, resend=set()) == {
            "returned": 0,
            "requeued": 0,
            "unknown": 0,
        }
    clock.advance(timedelta(seconds=10))  # the dead worker's presence ran out
    async with db.session() as session:
        counts = await recover(session, now=clock.now(), idempotent={"discord"}, resend={resend})
        rows = list(await session.exec(select(Delivery).order_by(col(Delivery.id))))
    assert counts == {"returned": 3, "requeued": 3, "unknown": 2}
    by_state = Counter((r.campaign_id, r.state) for r in rows)
    assert by_state == {
        (console, "unknown"): 2,  # on the wire, and Telegram-like: never resent
        (console, "pending"): 3,  # claimed, never sent: back in the queue
        (discord, "pending"): 2,  # on the wire, but Discord deduplicates by nonce
        (resend, "pending"): 1,  # on the wire, and its campaign says resend
        (alive, "claimed"): 2,  # a live worker's
    }
    assert all(r.attempts == 0 for r in rows if r.state == "pending" and r.campaign_id == console)


async def test_failures_are_retried_with_backoff_then_given_up(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings.model_validate({"web": {"enabled": False}, "outbox": {"max_attempts": 3}})
    chat = Chat.start(settings, db, clock)
    await campaign_with_rows(db, clock.now(), 1, platform="telegram")  # no such adapter running
    await chat.app.worker.drain()
    async with db.session() as session:
        row = (await session.exec(select(Delivery))).one()
    assert (row.state, row.attempts, row.reason) == (
        "pending",
        1,
        "retrying: telegram is not running",
    )
    assert row.next_attempt_at == clock.now() + timedelta(seconds=2)
    assert await chat.app.worker.drain() == 0  # not due yet
    for _ in range(2):
        clock.advance(timedelta(minutes=5))
        await chat.app.worker.drain()
    async with db.session() as session:
        row = (await session.exec(select(Delivery))).one()
    assert (row.state, row.attempts, row.reason) == ("failed", 3, "telegram is not running")


async def test_one_process_schedules_the_next_takes_over_when_it_stops(
    db: Database, clock: ManualClock
) -> None:
    ttl = timedelta(seconds=30)
    async with db.session() as session:
        assert await hold(session, "scheduler", "first", now=clock.now(), ttl=ttl)
    async with db.session() as session:
        assert not await hold(session, "scheduler", "second", now=clock.now(), ttl=ttl)
    clock.advance(timedelta(seconds=20))
    async with db.session() as session:
        assert await hold(session, "scheduler", "first", now=clock.now(), ttl=ttl)  # renewed
    clock.advance(timedelta(seconds=31))  # the first process is gone
    async with db.session() as session:
        assert await hold(session, "scheduler", "second", now=clock.now(), ttl=ttl)


async def test_a_push_missed_while_down_is_sent_once_within_the_grace(db: Database) -> None:
    settings = Settings.model_validate(
        {"web": {"enabled": False}, "content": {"misfire_grace_seconds": 600}}
    )
    chat = Chat.start(settings, db, SystemClock())  # APScheduler's own clock decides misfires
    app = chat.app
    now = datetime.now(UTC)
    async with db.session() as session:
        item = ContentItem(kind="company_news", body="Missed", status="approved", created_at=now)
        session.add(item)
        await session.flush()
        session.add(TitleVariant(content_id=item.id or 0, position=0, title="Missed it"))
        for minutes in (5, 60):  # down for 5 minutes (within grace), and for an hour (beyond)
            session.add(
                Campaign(
                    kind="content",
                    subject_type="content",
                    subject_id=item.id or 0,
                    audience={"channels": True},
                    status="scheduled",
                    scheduled_at=now - timedelta(minutes=minutes),
                    created_at=now,
                )
            )
        await session.commit()
    RUNNING.set(app.scheduler)
    ran = asyncio.Event()
    await app.scheduler.start()  # Roost comes back
    try:
        assert app.scheduler.aps is not None
        app.scheduler.aps.add_listener(lambda _e: ran.set(), EVENT_JOB_EXECUTED)
        await app.scheduler.sync()  # the campaigns the store learns of now, as on a restart
        async with asyncio.timeout(10):
            await ran.wait()
    finally:
        await app.scheduler.stop()
    async with db.session() as session:
        states = sorted(
            ((c.scheduled_at or now) < now - timedelta(minutes=30), c.status)
            for c in await session.exec(select(Campaign))
        )
    assert states == [(False, "sending"), (True, "missed")]


async def test_tracked_links_and_hosted_articles_record_opens_and_finishes(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings.model_validate({"web": {"port": 0}})
    app = build_app(settings, [], db, clock)
    campaign = await campaign_with_rows(db, clock.now(), 1)
    async with db.session() as session:
        item = await session.get(ContentItem, 1)
        assert item is not None
        item.link_url, item.body = "https://example.com/story", "First part.\n\nThe end."
        await session.commit()
    await app.web.start()
    base = f"http://127.0.0.1:{app.web.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/r/t{campaign}-0", allow_redirects=False) as response:
                assert (response.status, response.headers["Location"]) == (
                    302,
                    "https://example.com/story",
                )
            async with http.get(f"{base}/a/t{campaign}-0") as response:
                page = await response.text()
                assert (
                    response.status == 200
                    and "<h1>Title</h1>" in page
                    and "<p>The end.</p>" in page
                )
                assert f'fetch("/a/t{campaign}-0/finished"' in page
            async with http.post(f"{base}/a/t{campaign}-0/finished") as response:
                assert response.status == 204
            async with http.get(f"{base}/a/nope") as response:
                assert response.status == 404
    finally:
        await app.web.stop()
    async with db.session() as session:
        kinds = sorted(i.kind for i in await session.exec(select(Interaction)))
    assert kinds == ["clicked", "finished", "opened", "opened"]


async def test_a_campaign_to_listed_members_launches_whatever_their_number(
    chat: Chat, db: Database, clock: ManualClock
) -> None:
    """Nurture steps, job alerts and follow-ups go to a list of members. Beyond 32,767 of them
    a list spelled out in one statement is more parameters than PostgreSQL takes, so they
    are listed with the campaign instead."""
    now = clock.now()
    listed = await members_on(db, "console", [f"u{i}" for i in range(33_000)], now)
    item = await approved_content(db, now, "Body", "Title")
    async with db.session() as session:
        audience = Audience(dm=True, consent="news")
        campaign = CONTENT.campaign(item, audience, now, status=CampaignStatus.SCHEDULED)
        await list_members(session, campaign, listed[1:])  # all but the first
        await session.commit()
    await launch(chat.app, [campaign.id or 0])
    async with db.session() as session:
        rows = (await session.exec(select(Delivery.member_id))).all()
    assert len(rows) == len(listed) - 1 and listed[0] not in rows
