"""The content engine at the console: compose, schedule, deliver through the outbox, read,
and measure; consent and the frequency cap decide who is reached, with the reason kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.scheduler.triggers import WhenError, next_run, parse_when
from bot.settings import Settings
from storage.db import Database
from storage.models import Campaign, ContentItem, Delivery, Interaction, TitleVariant
from tests.chat import Chat
from tests.test_membership import member_named

BODY = "\n\n".join(f"Paragraph {i}: " + "x" * 500 for i in range(5))  # three pages of 1200


async def compose(chat: Chat, *titles: str, body: str = "Short and sweet.") -> int:
    answers = [
        "company_news",
        titles[0],
        titles[1] if len(titles) > 1 else "-",
        titles[2] if len(titles) > 2 else "-",
        body,
        "https://example.com/news",
        "https://example.com/office.jpg",
    ]
    seen = await chat.say("/compose", *answers, as_="hr")
    assert "Saved as content #" in seen
    async with chat.app.db.session() as session:
        found = await session.exec(select(ContentItem.id).order_by(col(ContentItem.id).desc()))
        return found.first() or 0


async def rows(chat: Chat) -> list[Delivery]:
    async with chat.app.db.session() as session:
        return list(await session.exec(select(Delivery).order_by(col(Delivery.id))))


async def test_a_push_reaches_the_channel_and_consenting_members_only(chat: Chat) -> None:
    await chat.onboard("ana", news="yes")
    await chat.onboard("ben", news="no")
    await chat.onboard("cy", news="yes")
    cy = await member_named(chat, "cy")
    content = await compose(chat, "Acme opens a Lisbon office")
    async with chat.app.db.session() as session:  # cy already had three DMs this week
        earlier = Campaign(
            kind="content",
            subject_type="content",
            subject_id=content,
            created_at=chat.app.clock.now(),
        )
        session.add(earlier)
        await session.flush()
        for i in range(3):
            session.add(
                Delivery(
                    campaign_id=earlier.id or 0,
                    recipient=f"earlier-{i}",
                    member_id=cy.id,
                    platform="console",
                    state="sent",
                    sent_at=chat.app.clock.now() - timedelta(days=2),
                )
            )
        await session.commit()

    seen = await chat.say(f"/schedule {content} now", as_="hr")
    assert "is going out now" in seen
    await chat.app.worker.drain()

    made = {r.recipient: r for r in await rows(chat) if r.campaign_id != earlier.id}
    ana, ben = await member_named(chat, "ana"), await member_named(chat, "ben")
    assert made["c:console:community"].state == "sent"
    assert made[f"m:{ana.id}"].state == "sent"
    assert (made[f"m:{ben.id}"].state, made[f"m:{ben.id}"].reason) == ("skipped", "no consent")
    assert (made[f"m:{cy.id}"].state, made[f"m:{cy.id}"].reason) == ("skipped", "frequency cap")
    shown = chat.out.getvalue()
    assert "[#community]\n== Acme opens a Lisbon office ==" in shown
    assert "[image: Acme opens a Lisbon office]" in shown
    assert "[DM to ana]\n== Acme opens a Lisbon office ==" in shown
    assert "[DM to ben]\n== Acme opens a Lisbon office ==" not in shown


async def test_members_open_and_finish_and_hr_sees_the_rates_per_title(chat: Chat) -> None:
    for name in ("ana", "ben", "cy", "dee"):
        await chat.onboard(name, news="yes")
    content = await compose(chat, "Title A", "Title B", body=BODY)
    await chat.say(f"/schedule {content} now to=dm", as_="hr")
    await chat.app.worker.drain()
    async with chat.app.db.session() as session:
        variant = {v.id: v.title for v in await session.exec(select(TitleVariant))}
        by_member = {
            r.member_id: variant[r.variant_id]
            for r in await session.exec(select(Delivery))
            if r.variant_id
        }
    assert sorted(by_member.values()) == [
        "Title A",
        "Title A",
        "Title B",
        "Title B",
    ]  # an even split

    names = {(await member_named(chat, n)).id: n for n in ("ana", "ben", "cy", "dee")}
    reader = next(m for m, t in by_member.items() if t == "Title A")
    name = names[reader]
    seen = await chat.say("1", as_=name)  # Read
    assert "Paragraph 0" in seen and "1/3" in seen and "[1] Next page" in seen
    seen = await chat.say("1", "1", as_=name)  # to the last page
    assert "3/3" in seen
    opener = next(m for m, t in by_member.items() if t == "Title B")
    other = names[opener]
    await chat.say("1", as_=other)  # opens, never finishes

    seen = await chat.say("/stats content", as_="hr")
    assert "“Title A”: 2 delivered, 1 opened (50%), 1 finished (100% of opens)" in seen
    assert "“Title B”: 2 delivered, 1 opened (50%), 0 finished (0% of opens)" in seen
    async with chat.app.db.session() as session:
        kinds = sorted(
            i.kind
            for i in await session.exec(select(Interaction).where(Interaction.member_id == reader))
        )
    assert kinds == ["delivered", "finished", "opened"]


async def test_the_hint_when_few_open_but_most_finish(chat: Chat) -> None:
    for name in ("ana", "ben", "cy", "dee", "eve"):
        await chat.onboard(name, news="yes")
    content = await compose(chat, "Quarterly update")
    await chat.say(f"/schedule {content} now to=dm", as_="hr")
    await chat.app.worker.drain()
    await chat.say("1", "1", as_="ana")  # Read, then Done
    seen = await chat.say("/stats content", as_="hr")
    assert "1 opened (20%), 1 finished (100% of opens)" in seen
    assert "try a more interesting title" in seen


async def test_a_sample_first_then_the_best_title_to_the_rest(chat: Chat) -> None:
    for name in ("ana", "ben", "cy", "dee"):
        await chat.onboard(name, news="yes")
    content = await compose(chat, "Dull title", "Exciting title")
    await chat.say(f"/schedule {content} now to=dm sample=50% wait=1h", as_="hr")
    await chat.app.worker.drain()
    sent = [r for r in await rows(chat) if r.state == "sent"]
    assert len(sent) == 2 and len([r for r in await rows(chat) if r.state == "held"]) == 2
    async with chat.app.db.session() as session:
        exciting = (
            await session.exec(select(TitleVariant).where(TitleVariant.title == "Exciting title"))
        ).one()
        for row in sent:  # only the exciting title's reader opens
            if row.variant_id == exciting.id:
                session.add(
                    Interaction(
                        member_id=row.member_id,
                        kind="opened",
                        subject_type="content",
                        subject_id=content,
                        variant_id=row.variant_id,
                        platform="console",
                        at=chat.app.clock.now(),
                    )
                )
        await session.commit()
    winner = await chat.app.campaigns.choose_winner(sent[0].campaign_id)
    assert winner == exciting.id
    await chat.app.worker.drain()
    sampled = {r.id for r in sent}
    rest = [r for r in await rows(chat) if r.id not in sampled]
    assert len(rest) == 2 and all(r.state == "sent" and r.variant_id == exciting.id for r in rest)


async def test_a_weekly_push_fires_at_the_right_time(chat: Chat) -> None:
    await chat.onboard("ana", news="yes")
    content = await compose(chat, "Weekly digest")
    seen = await chat.say(f"/schedule {content} every mon 09:00 to=dm", as_="hr")
    assert "goes out Mon 30 Nov 2026 09:00 (UTC) and then 0 9 * * mon" in seen
    await chat.app.scheduler.start()  # as the holder of its lease does
    try:
        await chat.app.scheduler.sync()
        job = chat.app.scheduler.aps.get_job("campaign:1") if chat.app.scheduler.aps else None
        assert job is not None and job.next_run_time == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        assert job.func_ref == "bot.scheduler.jobs:launch_campaign" and job.args == (1,)
        chat.app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]  # Monday 09:00
        assert "campaign:1" in await chat.app.scheduler.fire_due()
        assert "campaign:1" not in await chat.app.scheduler.fire_due()  # nothing more this week
        assert chat.app.scheduler.aps is not None
        following = chat.app.scheduler.aps.get_job("campaign:1")
        assert following is not None
        assert following.next_run_time == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        chat.app.clock.advance(timedelta(days=7))  # type: ignore[attr-defined]  # a week on
        assert "campaign:1" in await chat.app.scheduler.fire_due()
        await chat.app.worker.drain()
        assert chat.out.getvalue().count("[DM to ana]\n== Weekly digest ==") == 2  # one per run
    finally:
        await chat.app.scheduler.stop()
    async with chat.app.db.session() as session:
        runs = list(await session.exec(select(Campaign).where(Campaign.parent_id == 1)))
    assert len(runs) == 2


async def test_cancel_stops_what_has_not_gone_out(chat: Chat) -> None:
    await chat.onboard("ana", news="yes")
    content = await compose(chat, "Never mind")
    await chat.say(f"/schedule {content} 2026-12-24 18:00", as_="hr")
    assert "cancelled" in await chat.say("/cancel 1", as_="hr")
    await chat.app.campaigns.launch(1)
    await chat.app.worker.drain()
    assert "Never mind ==" not in chat.out.getvalue().split("/cancel")[-1]


async def test_employees_share_stories_hr_approves_them(chat: Chat) -> None:
    seen = await chat.say("/share", "My first year", "It was great.", as_="employee")
    assert "Your story is #1" in seen
    assert "only approved content goes out" in await chat.say("/schedule 1 now", as_="hr")
    assert "Content #1 approved." in await chat.say("/approve 1", as_="hr")
    assert "is going out now" in await chat.say("/schedule 1 now", as_="hr")
    assert "only for the hr team" in await chat.say("/approve 1", as_="ana")


async def test_bad_schedules_are_explained_and_change_nothing(chat: Chat) -> None:
    content = await compose(chat, "Soon")
    for words, problem in (
        ("yesterday", "say now"),
        ("2020-01-01 09:00", "is in the past"),
        ("now to=email", "to= takes channels"),
        ("now sample=150%", "sample= takes"),
    ):
        seen = await chat.say(f"/schedule {content} {words}", as_="hr")
        assert problem in seen
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Campaign))) == []


def test_when_words_become_times() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday
    assert parse_when("now", "Europe/Berlin", now) == (now, None)
    at, rule = parse_when("every mon 09:00", "Europe/Berlin", now)
    assert (at, rule) == (None, "0 9 * * mon")
    assert next_run(at, rule, "Europe/Berlin", now) == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert next_run(None, "0 9 * * *", "UTC", now) == now  # due this very minute: now
    later = now + timedelta(minutes=1)
    assert next_run(None, "0 9 * * *", "UTC", later) == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    once, _ = parse_when("2026-12-07 18:30", "Europe/Berlin", now)
    assert once == datetime(2026, 12, 7, 17, 30, tzinfo=UTC)
    with pytest.raises(WhenError):
        parse_when("2026-11-01 09:00", "UTC", now)


async def test_preview_shows_the_push_and_how_each_platform_shows_it(chat: Chat) -> None:
    content = await compose(chat, "Acme opens a Lisbon office", "Hello, Lisbon", body=BODY)
    seen = await chat.say(f"/preview {content}", as_="hr")
    assert "== Acme opens a Lisbon office ==\nCompany news" in seen  # the push itself
    assert "[1] Read  [2] Open in browser" in seen
    assert f"== Preview of content #{content} ==" in seen and "Read opens 3 pages" in seen
    assert "Titles tested: Acme opens a Lisbon office | Hello, Lisbon" in seen
    assert "Console: Plain text," in seen
    assert "only for the hr team" in await chat.say(f"/preview {content}", as_="ana")


async def test_campaigns_show_their_kind_subject_progress_and_local_time(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    berlin = settings.model_copy(
        update={"community": settings.community.model_copy(update={"timezone": "Europe/Berlin"})}
    )
    chat = Chat.start(berlin, db, clock)
    await chat.onboard("ana", news="yes", jobs="yes")
    content = await compose(chat, "Acme opens a Lisbon office")
    await chat.say(f"/schedule {content} now to=dm", as_="hr")
    await chat.say(f"/schedule {content} 2026-12-07 09:00 to=dm", as_="hr")
    await chat.say("/jobs add", "Backend engineer", "engineering", "senior", "Berlin",
                   "https://ats.example/7", "-", as_="hr")  # fmt: skip
    await chat.say("/jobs invite 1", "1", as_="hr")
    await chat.app.worker.drain()
    shown = await chat.say("/campaigns", as_="hr")
    assert "#1 content push “Acme opens a Lisbon office” · done · Fri 27 Nov 2026 10:00 " in shown
    assert "(Europe/Berlin) · 1 sent" in shown
    assert (
        "#2 content push “Acme opens a Lisbon office” · scheduled · Mon 07 Dec 2026 09:00" in shown
    )
    assert "#3 invitation to apply “Backend engineer” · done" in shown
    assert "content #" not in shown
