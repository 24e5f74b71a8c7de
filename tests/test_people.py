"""One person, one record (SQLite and PostgreSQL alike, through the console): linking keeps the
first join, the union of labels and the latest decision per consent; HR reads a member's
record and notes; engagement levels and the new segments; /members pages and exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlmodel import col, select

from bot.clock import ManualClock
from storage.content import item_stats, record, retally
from storage.engagement import refresh
from storage.models import (
    CommunityEvent,
    ContentItem,
    ContentTally,
    Delivery,
    Identity,
    Join,
    Label,
    Member,
    MemberNote,
    Poll,
    PollOption,
    Registration,
    TitleVariant,
    Vote,
)
from tests.chat import Chat
from tests.seed import news_campaign
from tests.test_membership import add_code, member_named

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


async def link(chat: Chat, first: str, second: str) -> str:
    """`first` asks for a code, `second` types it; what `second` saw."""
    code = CODE.search(await chat.say("/link", as_=first))
    assert code is not None
    return await chat.say(f"/link {code.group()}", as_=second)


async def test_linking_keeps_the_first_join_every_label_and_the_latest_decisions(
    chat: Chat,
) -> None:
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    await add_code(chat, "FAIR", "job-fair")
    await add_code(chat, "ALUM", "alumni")
    await chat.onboard("ada", code="FAIR", function="data", news="yes", jobs="yes")
    clock.advance(timedelta(days=2))
    await chat.onboard("ada_work", code="ALUM", function="design", news="yes", jobs="no")
    await chat.say(
        "/label @ada python", "/label @ada_work python", "/label @ada_work berlin", as_="hr"
    )
    first, second = await member_named(chat, "ada"), await member_named(chat, "ada_work")

    clock.advance(timedelta(hours=1))
    seen = await link(chat, "ada_work", "ada")
    assert "Linked: you're one member on console" in seen
    async with chat.app.db.session() as session:
        people = list(
            await session.exec(select(Member).where(col(Member.id).in_((first.id, second.id))))
        )
        accounts = list(
            await session.exec(select(Identity).where(col(Identity.platform_user_id).like("ada%")))
        )
        joins = list(await session.exec(select(Join).order_by(col(Join.at))))
        tags = sorted(lb.name for lb in await session.exec(select(Label)))
    assert [p.id for p in people] == [first.id]  # the member who joined first stays
    person = people[0]
    assert {a.member_id for a in accounts} == {first.id}
    assert [(j.source, j.first_touch, j.member_id) for j in joins] == [
        ("job-fair", True, first.id),
        ("alumni", False, first.id),
    ]
    assert person.first_source == "job-fair" and person.function == "data"
    assert tags == ["alumni", "berlin", "python"]  # alumni: what the ALUM code says
    assert (person.consent_news, person.consent_jobs) == (True, False)  # jobs: the later no

    await chat.say("STOP", as_="ada_work")  # a STOP on either account stops all
    async with chat.app.db.session() as session:
        stopped = await session.get(Member, first.id)
    assert stopped is not None and (stopped.consent_news, stopped.consent_jobs) == (False, False)

    assert "on its own again" in await chat.say("/unlink", as_="ada_work")
    assert "isn't linked" in await chat.say("/unlink", as_="ada")
    alone = await member_named(chat, "ada_work")
    assert alone.id != first.id  # and it starts afresh, taking nothing of the person along
    assert (alone.function, alone.onboarded_at, alone.consent_news) == (None, None, False)


async def test_a_code_is_single_use_short_lived_and_guarded(chat: Chat) -> None:
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    await chat.onboard("ada")
    await chat.onboard("bo")
    code = CODE.search(await chat.say("/link", as_="ada"))
    assert code is not None
    clock.advance(timedelta(minutes=11))
    assert "isn't valid" in await chat.say(f"/link {code.group()}", as_="bo")
    for _ in range(10):
        await chat.say("/link AAAA-AAAA", as_="bo")
    assert "tried a lot of codes" in await chat.say("/link AAAA-AAAA", as_="bo")
    assert (await member_named(chat, "bo")).id != (await member_named(chat, "ada")).id


async def test_hr_reads_a_members_record_and_adds_notes_others_are_refused(chat: Chat) -> None:
    await add_code(chat, "FAIR", "job-fair")
    await chat.onboard("ana", code="FAIR", function="data", seniority="senior", location="Berlin")
    ana = await member_named(chat, "ana")
    for command in (f"/member #{ana.id}", f"/note #{ana.id} call her"):
        assert "is only for the hr team" in await chat.say(command, as_="ana")
    assert "Noted on" in await chat.say(f"/note #{ana.id} Great talk at the fair", as_="hr")
    seen = await chat.say(f"/member #{ana.id}", as_="hr")
    for shown in (
        f"#{ana.id} Ana",
        "Profile: data · senior · Berlin",
        "Accounts: console @ana, seen just now",
        "Source: job-fair",
        "news: yes since 2026-",
        "jobs: yes since 2026-",
        "Engagement: dormant (0)",
        "Last contacted: never",
        "joined on console via job-fair",
        "Great talk at the fair",
    ):
        assert shown in seen, shown
    await chat.say("/forgetme", "1", as_="ana")  # notes go with the member
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(MemberNote))) == []


async def test_engagement_levels_and_the_segments_that_use_them(chat: Chat) -> None:
    now = chat.app.clock.now()
    for name in ("ana", "ben", "cy"):
        await chat.onboard(name)
    ana, ben = await member_named(chat, "ana"), await member_named(chat, "ben")
    async with chat.app.db.session() as session:
        poll = Poll(question="?", created_at=now)
        event = CommunityEvent(
            kind="open_day", title="Open day", starts_at=now, ends_at=now, created_at=now
        )
        session.add_all([poll, event])
        await session.flush()
        option = PollOption(poll_id=poll.id or 0, position=0, text="yes")
        session.add(option)
        await session.flush()
        # ana: attended this week (5) and voted (2), registered (3): 10, engaged
        session.add(Registration(event_id=event.id or 0, member_id=ana.id or 0,
                                 registered_at=now, attended_at=now))  # fmt: skip
        session.add(Vote(poll_id=poll.id or 0, option_id=option.id or 0, member_id=ana.id or 0,
                         platform="console", at=now))  # fmt: skip
        # ben: registered two months ago: 3 points at a quarter, 0 after rounding down
        session.add(Registration(event_id=event.id or 0, member_id=ben.id or 0,
                                 registered_at=now - timedelta(days=60)))  # fmt: skip
        await refresh(session, now, 90)
        await session.commit()
    seen = await chat.say("/members engagement=engaged", as_="hr")
    assert "1 member match" in seen and f"#{ana.id} Ana" in seen and "engaged" in seen
    assert "2 members match" in await chat.say(
        "/members engagement=dormant onboarded=yes", as_="hr"
    )
    assert "engagement is one of champion" in await chat.say("/members engagement=hot", as_="hr")
    assert "1 member match" in await chat.say(f"/members attended={event.id}", as_="hr")
    assert "1 member match" in await chat.say(f"/members voted={poll.id}", as_="hr")
    assert "0 members match" in await chat.say("/members contacted=30d", as_="hr")
    assert "3 members match" in await chat.say("/members uncontacted=30d onboarded=yes", as_="hr")


async def test_members_page_beyond_twenty_and_export_as_csv(chat: Chat) -> None:
    for i in range(23):
        await chat.say("/help", as_=f"m{i:02}")
    first = await chat.say("/members", as_="hr")
    assert "24 members match" in first and "…4 more: /members page=2" in first
    second = await chat.say("/members page=2", as_="hr")
    assert "(page 2)" in second and second.count("\n#") == 4
    exported = await chat.say("/members csv", as_="hr")
    assert "[file members.csv" in exported
    rows = list(csv.DictReader(io.StringIO(exported.split("bytes]\n", 1)[1])))
    assert len(rows) == 24 and rows[0]["level"] == "dormant" and rows[0]["platforms"] == "console"


async def test_an_article_both_accounts_opened_counts_once_and_mydata_covers_both(
    chat: Chat,
) -> None:
    now = chat.app.clock.now()
    await chat.onboard("ada")
    await chat.onboard("ada_work")
    first, second = await member_named(chat, "ada"), await member_named(chat, "ada_work")
    async with chat.app.db.session() as session:
        item = ContentItem(kind="company_news", body="News.", status="approved", created_at=now)
        session.add(item)
        await session.flush()
        title = TitleVariant(content_id=item.id or 0, position=0, title="News")
        session.add(title)
        await session.flush()
        for member in (first, second):
            await record(session, member.id, "opened", item.id or 0, title.id, "console", now)
        await session.commit()
    await link(chat, "ada", "ada_work")
    async with chat.app.db.session() as session:
        stats = await item_stats(session, item, now - timedelta(days=1))
        kept = sorted(map(tuple, await session.exec(select(ContentTally))))
        async with chat.app.db.engine.begin() as conn:
            await retally(conn)
        again = sorted(map(tuple, await session.exec(select(ContentTally))))
    assert [s.opened for s in stats] == [1] and kept == again
    mine = await chat.say("/mydata", as_="ada")
    assert '"platform_user_id": "ada"' in mine and '"platform_user_id": "ada_work"' in mine


async def test_a_campaign_both_accounts_were_waiting_for_goes_out_once(chat: Chat) -> None:
    await chat.onboard("ada", news="yes")
    await chat.onboard("ada_work", news="yes")
    await news_campaign(chat.app.db, None, chat.app.clock.now())  # a row for each, not sent
    await link(chat, "ada", "ada_work")
    await chat.app.worker.drain()
    assert chat.out.getvalue().count("News for everyone.") == 1
    async with chat.app.db.session() as session:
        reasons = sorted(str(d.reason) for d in await session.exec(select(Delivery)))
    assert reasons == ["None", "merged: one copy per person"]


async def test_linking_says_which_answer_now_counts_and_one_account_is_chosen(
    chat: Chat,
) -> None:
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    await chat.onboard("ada", function="data", news="yes", jobs="yes")
    clock.advance(timedelta(days=1))
    await chat.onboard("ada_work", function="design", news="yes", jobs="no")
    seen = await link(chat, "ada", "ada_work")
    assert "the newer answer counts: news on, job invitations off" in seen
    assert "Your profile is the one you gave first: data" in seen

    await chat.say("/link here", as_="ada_work")
    record = await chat.say("/member @ada", as_="hr")
    assert record.count("(chosen for messages)") == 1
    assert "console @ada_work, seen just now (chosen for messages)" in record
    assert "  Source: direct\n" in record  # joined the same way twice: one source

    await news_campaign(chat.app.db, None, clock.now())
    await chat.app.worker.drain()
    out = chat.out.getvalue()
    assert "[DM to ada_work]\n== News ==" in out and "[DM to ada]\n== News ==" not in out


async def test_a_segment_too_large_for_a_chat_file_points_to_the_dashboard(
    chat: Chat,
) -> None:
    import dataclasses

    for name in ("ana", "ben", "cy"):
        await chat.onboard(name)
    tiny = dataclasses.replace(chat.console.capabilities, max_upload=200)
    chat.console.capabilities = tiny
    seen = await chat.say("/members function=engineering csv", as_="hr")
    assert "more than console takes as a file" in seen and "[file members.csv" not in seen
    assert "/dashboard/members.csv?filters=function%3Dengineering" in seen


async def test_a_file_the_platform_will_not_take_is_said_not_dropped(chat: Chat) -> None:
    import dataclasses

    await chat.onboard("ana")
    chat.console.capabilities = dataclasses.replace(chat.console.capabilities, max_upload=100)
    seen = await chat.say("/mydata", as_="ana")
    assert "more than console takes (100 bytes), so it was not sent" in seen
    assert "[file roost-mydata.json" not in seen
