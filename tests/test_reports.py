"""HR's reports, counted in the database, give the numbers a hand count gives, on a small
community seeded the way the analytics benchmark seeds a million members (SQLite and
PostgreSQL alike)."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import timedelta

from sqlmodel import select

from bench.analytics import NOW, populate
from bot.handlers.pipeline.funnel import write_invitations
from storage.content import approved_items, hour_of, item_stats, record, retally, variants
from storage.db import Database
from storage.events import events_since, numbers
from storage.models import (
    ContentTally,
    Delivery,
    Feedback,
    Interaction,
    Invitation,
    Join,
    Member,
    Registration,
    SurveyResponse,
    Vote,
)
from storage.pipeline import EXPORT_COLUMNS, STAMPS, Scope, SourceRow, sources
from storage.polls import polls_since, tally
from storage.surveys import summary

MEMBERS = 700


async def seeded(db: Database) -> None:
    await populate(db, MEMBERS, lambda _step: None)


async def test_sources_match_a_hand_count(db: Database) -> None:
    await seeded(db)
    since = NOW - timedelta(days=90)
    async with db.session() as session:
        got = await sources(session, since)
        members = {m.id: m for m in await session.exec(select(Member))}
        joins = [j for j in await session.exec(select(Join)) if j.first_touch]
        invitations = list(await session.exec(select(Invitation)))
    invited = {i.member_id for i in invitations}
    applied = {i.member_id for i in invitations if i.applied_at is not None}
    hand: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for join in joins:
        member = members[join.member_id]
        if member.erased_at is not None:
            continue
        row = hand[join.source]
        row[0] += 1
        row[1] += bool(member.last_active_at and member.last_active_at >= since)
        row[2] += join.member_id in invited
        row[3] += join.member_id in applied
    expected = sorted(
        (SourceRow(source, *counts) for source, counts in hand.items()),
        key=lambda r: (-r.joined, r.source),
    )
    assert got == expected and sum(r.applied for r in got) > 0


async def test_events_polls_and_surveys_match_a_hand_count(db: Database) -> None:
    await seeded(db)
    async with db.session() as session:
        events = await events_since(session, NOW - timedelta(days=365))
        counted = {e.id: await numbers(session, e) for e in events}
        polls = await polls_since(session, NOW - timedelta(days=365))
        tallies = {p.id: await tally(session, p.id or 0) for p in polls}
        registrations = list(await session.exec(select(Registration)))
        joins = list(await session.exec(select(Join)))
        answers = list(await session.exec(select(SurveyResponse)))
        votes = list(await session.exec(select(Vote)))
        survey_one = await summary(session, 1)
    assert len(events) == 30 and len(polls) == 20
    for event in events:
        mine = [r for r in registrations if r.event_id == event.id]
        scored = [a.scores for a in answers if a.survey_id == event.survey_id]
        n = counted[event.id]
        assert (n.registered, n.waitlisted, n.attended) == (
            sum(r.status == "registered" for r in mine),
            sum(r.status == "waitlisted" for r in mine),
            sum(r.attended_at is not None for r in mine),
        )
        assert n.new_members == sum(j.invite_code_id == event.invite_code_id for j in joins)
        assert n.responses == len(scored)
        if scored:
            mean = sum(s["satisfaction"] for s in scored) / len(scored)
            assert n.satisfaction is not None and abs(n.satisfaction - mean) < 1e-9
    for poll in polls:
        mine_votes = [v for v in votes if v.poll_id == poll.id]
        t = tallies[poll.id]
        assert t.voters == len({v.member_id for v in mine_votes})
        assert sum(n for _, n in t.options) == len(mine_votes)
        assert dict(t.by_platform) == dict(
            Counter(p for _, p in {(v.member_id, v.platform) for v in mine_votes})
        )
    first = [a for a in answers if a.survey_id == 1]
    assert survey_one.count == len(first) > 0
    assert survey_one.recommend is not None
    assert abs(survey_one.recommend - sum(a.scores["recommend"] for a in first) / len(first)) < 1e-9


async def test_content_numbers_match_a_hand_count_of_the_facts(db: Database) -> None:
    await seeded(db)
    since = NOW - timedelta(days=30, minutes=17)  # the period starts on the hour it falls in
    async with db.session() as session:
        items = await approved_items(session)
        got = {i.id: await item_stats(session, i, since) for i in items}
        titles = {i.id: await variants(session, i.id or 0) for i in items}
        facts = list(await session.exec(select(Interaction)))
    counted: Counter[tuple[int | None, int | None, str]] = Counter(
        (f.subject_id, f.variant_id, f.kind)
        for f in facts
        if f.subject_type == "content" and f.at >= hour_of(since)
    )
    assert sum(v.opened for stats in got.values() for v in stats) > 0
    for item in items:
        expected = [
            (counted[item.id, t.id, "delivered"], counted[item.id, t.id, "opened"],
             counted[item.id, t.id, "finished"])
            for t in titles[item.id]
        ]  # fmt: skip
        assert [(v.delivered, v.opened, v.finished) for v in got[item.id]] == expected


async def test_the_tally_kept_as_facts_are_recorded_is_the_tally_counted_again(
    db: Database,
) -> None:
    await seeded(db)
    async with db.session() as session:
        item = (await approved_items(session))[0]
        title = (await variants(session, item.id or 0))[0]
        for member in (1, 2, 3, 3):  # member 3 opens twice: one open
            await record(session, member, "opened", item.id or 0, title.id, "telegram", NOW)
        await record(session, None, "opened", item.id or 0, title.id, "web", NOW, once=False)
        await session.commit()
        kept = sorted(map(tuple, await session.exec(select(ContentTally))))
        async with db.engine.begin() as conn:
            await retally(conn)
        again = sorted(map(tuple, await session.exec(select(ContentTally))))
    assert kept == again and len(kept) > 0


async def test_the_funnel_export_matches_the_invitations_row_for_row(db: Database) -> None:
    await seeded(db)
    out, counts = io.BytesIO(), list[int]()
    async with db.session() as session:
        written = await write_invitations(session, Scope(job_id=1), out, counts.append)
        invitations = list(await session.exec(select(Invitation).where(Invitation.job_id == 1)))
        members = {m.id: m for m in await session.exec(select(Member))}
        deliveries = {d.id: d for d in await session.exec(select(Delivery))}
        feedback = sorted(await session.exec(select(Feedback)), key=lambda f: f.id or 0)
    latest = {f.invitation_id: f.reason for f in feedback}
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert written == len(rows) == len(invitations) > 0 and counts[-1] == written
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert all(any(r[c] for r in rows) for c in ("reason", "delivery", "applied_at"))
    for row, invitation in zip(rows, sorted(invitations, key=lambda i: i.id or 0), strict=True):
        delivery = deliveries.get(invitation.delivery_id)
        assert row["invitation"] == str(invitation.id)
        assert row["source"] == members[invitation.member_id].first_source == invitation.source
        assert row["status"] == invitation.status
        assert row["delivery"] == (delivery.state if delivery else "")
        assert row["job_title"] == "Job 1"
        assert row["reason"] == latest.get(invitation.id or 0, "")
        for stamp in STAMPS:
            at = getattr(invitation, stamp)
            assert row[stamp] == (at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else "")
