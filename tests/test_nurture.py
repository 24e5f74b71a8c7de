"""A branching nurture sequence walked day by day on an injected clock (SQLite and PostgreSQL,
through the console): who did not open gets another title, who opened but did not finish a
follow-up, who registered for the event jumps ahead, who applies or says STOP leaves, and HR
sees per step how many entered, were sent, opened, moved on and left."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.handlers.nurture import advance
from bot.settings import OutboxSettings, Settings
from storage.db import Database
from storage.models import (
    CommunityEvent,
    Enrollment,
    Job,
    Poll,
    PollOption,
    Registration,
)
from tests.chat import Chat
from tests.seed import approved_content, launch
from tests.test_membership import add_code, member_named

LONG = "\n\n".join(f"Part {i}: " + "x" * 1100 for i in range(2))  # two pages


async def content(chat: Chat, body: str, *titles: str) -> int:
    return await approved_content(chat.app.db, chat.app.clock.now(), body, *titles)


async def day(chat: Chat, days: float = 1) -> list[int]:
    """Time passes; the daily walk runs, and what it sends is delivered."""
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    clock.advance(timedelta(days=days))
    async with chat.app.db.session() as session:
        launches = await advance(session, clock.now(), chat.app.settings)
        await session.commit()
    ids = await launch(chat.app, launches)
    await chat.app.worker.drain()
    return ids


async def where(chat: Chat) -> dict[str, tuple[int, str, str | None]]:
    async with chat.app.db.session() as session:
        rows = list(await session.exec(select(Enrollment).order_by(col(Enrollment.id))))
    names = {}
    for name in ("ana", "ben", "cy", "dee"):
        names[(await member_named(chat, name)).id] = name
    return {names[e.member_id]: (e.position + 1, e.state, e.reason) for e in rows}


def dms(chat: Chat, name: str, title: str) -> int:
    return chat.out.getvalue().count(f"[DM to {name}]\n== {title}")


async def test_a_branching_sequence_walked_day_by_day(chat: Chat) -> None:
    for name in ("ana", "ben", "cy", "dee"):
        await chat.onboard(name, function="data", news="yes", jobs="yes")
    await chat.onboard("eve", function="design", news="yes", jobs="yes")
    article = await content(chat, LONG, "Salaries in data", "What data people earn")
    short = await content(chat, "The short version.", "Salaries, in short")
    now = chat.app.clock.now()
    async with chat.app.db.session() as session:
        event = CommunityEvent(
            kind="open_day",
            title="Data open day",
            created_at=now,
            starts_at=now + timedelta(days=30),
            ends_at=now + timedelta(days=30),
        )
        job = Job(title="Data engineer", function="data", apply_url="https://ats.example/1",
                  created_at=now)  # fmt: skip
        session.add_all([event, job])
        await session.commit()

    seen = await chat.say("/nurture new Data folks | function=data", as_="hr")
    assert "Sequence #1 Data folks is a draft" in seen
    for step in (
        f"1 content {article} unopened=3d partial=2d followup={short}",
        f"1 event {event.id} wait=7d registered=4",
        f"1 content {short} wait=2d",
        f"1 job {job.id} wait=3d",
    ):
        assert "Sequence #1, step" in await chat.say(f"/nurture step {step}", as_="hr")
    assert "partial= needs followup=" in await chat.say(
        f"/nurture step 1 content {article} partial=2d", as_="hr"
    )
    assert "is only for the hr team" in await chat.say("/nurture show 1", as_="ana")
    assert "Data folks: active" in await chat.say("/nurture start 1", as_="hr")

    await day(chat, 0.01)  # in they come; the first step goes out
    for name in ("ana", "ben", "cy", "dee"):
        assert dms(chat, name, "Salaries in data") + dms(chat, name, "What data people earn") == 1
    assert dms(chat, "eve", "Salaries") == 0  # not in the segment
    await chat.say("1", "1", "1", as_="ana")  # Read, next page: finished
    await chat.say("1", as_="ben")  # Read the first page only
    await chat.say("STOP", as_="dee")

    await day(chat, 2)  # ben opened but did not finish: the short version
    assert (
        dms(chat, "ben", "Salaries, in short") == 1 and dms(chat, "ana", "Salaries, in short") == 0
    )
    assert (await where(chat))["dee"] == (1, "left", "stopped")
    before = dms(chat, "cy", "What data people earn") + dms(chat, "cy", "Salaries in data")
    await day(chat, 1)  # cy never opened: the same article, the other title
    assert (
        dms(chat, "cy", "What data people earn") + dms(chat, "cy", "Salaries in data") == before + 1
    )

    await day(chat, 4)  # a week after the first step: the event, to those still walking
    for name in ("ana", "ben", "cy"):
        assert dms(chat, name, "Open day: Data open day") == 1
    register = chat.out.getvalue().split("[DM to ana]\n== Open day: Data open day")[1]
    assert "[1] Register" in register
    await chat.say("1", as_="ana")  # Register: jumps to the job
    await day(chat, 1)
    assert (await where(chat))["ana"] == (4, "active", None)
    await day(chat, 1)  # two days after the event: the short piece for those who did not
    assert (
        dms(chat, "cy", "Salaries, in short") == 1 and dms(chat, "ana", "Salaries, in short") == 0
    )
    await day(chat, 2)  # three days after ana's jump: her invitation
    assert dms(chat, "ana", "Invitation to apply: Data engineer") == 1
    await chat.say(f"/jobs status {job.id} @ana applied", as_="hr")

    assert "Data folks: paused" in await chat.say("/nurture pause 1", as_="hr")
    await day(chat, 5)  # nothing moves while paused
    assert dms(chat, "ben", "Invitation to apply") == 0
    assert (await where(chat))["ana"] == (4, "active", None)
    await chat.say("/nurture resume 1", as_="hr")
    await day(chat, 1)
    assert (await where(chat))["ana"] == (4, "left", "applied or not for me")
    assert dms(chat, "ben", "Invitation to apply: Data engineer") == 1
    await day(chat, 2)
    walked = await where(chat)
    assert walked["ben"] == (4, "done", None) and walked["cy"] == (4, "done", None)

    shown = await chat.say("/nurture show 1", as_="hr")
    for line in (
        "1. content #1, after 0h, not opened in 3d: another title, opened, not finished in 2d: "
        "#2 · entered 4, sent 6, opened 2, moved on 3, left 1",  # 4, a follow-up, a title
        "2. event #1, after 168h, registered → step 4 · entered 3, sent 3, opened 1, moved on 3",
        "3. content #2, after 48h · entered 2, sent 2, opened 0, moved on 2, left 0",
        "4. job #1, after 72h · entered 3, sent 3, opened 0, moved on 2, left 1",
    ):
        assert line in shown, shown


async def test_members_enter_by_code_or_event_and_a_cancel_lets_everyone_go(chat: Chat) -> None:
    await add_code(chat, "FAIR", "job-fair")
    await chat.onboard("ana", code="FAIR")  # joined before the sequence started: not in it
    short = await content(chat, "Welcome, fair visitor.", "Welcome from the fair")
    now = chat.app.clock.now()
    async with chat.app.db.session() as session:
        event = CommunityEvent(
            kind="info_session",
            title="Info session",
            created_at=now,
            starts_at=now + timedelta(days=9),
            ends_at=now + timedelta(days=9),
        )
        session.add(event)
        await session.commit()  # fmt: skip
    assert "Sequence #1" in await chat.say("/nurture new Fair | code=FAIR", as_="hr")
    assert "Sequence #2" in await chat.say(f"/nurture new Event | event={event.id}", as_="hr")
    assert "has no steps yet" in await chat.say("/nurture start 1", as_="hr")
    chat.app.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    for sequence in (1, 2):
        await chat.say(f"/nurture step {sequence} content {short}", as_="hr")
        await chat.say(f"/nurture start {sequence}", as_="hr")
    await chat.onboard("ben", code="FAIR")
    ana = await member_named(chat, "ana")
    async with chat.app.db.session() as session:
        session.add(Registration(event_id=event.id or 0, member_id=ana.id or 0, registered_at=now))
        await session.commit()
    await day(chat, 1)
    assert dms(chat, "ben", "Welcome from the fair") == 1  # by the code
    assert dms(chat, "ana", "Welcome from the fair") == 1  # by the event, not the code
    async with chat.app.db.session() as session:
        rows = [(e.nurture_id, e.state) for e in await session.exec(select(Enrollment))]
    assert sorted(rows) == [(1, "active"), (2, "active")]
    assert "Fair: cancelled" in await chat.say("/nurture cancel 1", as_="hr")
    assert "is cancelled" in await chat.say(f"/nurture step 1 content {short}", as_="hr")
    async with chat.app.db.session() as session:
        ended = [(e.nurture_id, e.state, e.reason) for e in await session.exec(select(Enrollment))]
    assert sorted(ended, key=str) == [(1, "left", "cancelled"), (2, "active", None)]
    assert "#1 Fair · cancelled" in await chat.say("/nurture", as_="hr")


async def test_a_vote_in_a_poll_step_takes_the_voter_to_the_step_it_names(chat: Chat) -> None:
    for name in ("ana", "ben"):
        await chat.onboard(name, function="data")
    thanks = await content(chat, "Thanks for voting.", "Your vote counts")
    later = await content(chat, "Another time.", "Next time, then")
    now = chat.app.clock.now()
    async with chat.app.db.session() as session:
        poll = Poll(question="Which meetup topic?", created_at=now)
        session.add(poll)
        await session.flush()
        for i, text in enumerate(("Rust", "Go")):
            session.add(PollOption(poll_id=poll.id or 0, position=i, text=text))
        await session.commit()
    await chat.say("/nurture new Poll | function=data", as_="hr")
    for step in (
        f"poll {poll.id} voted=3",
        f"content {later} wait=2d",
        f"content {thanks} wait=1d",
    ):
        await chat.say(f"/nurture step 1 {step}", as_="hr")
    await chat.say("/nurture start 1", as_="hr")
    await day(chat, 0.01)
    assert dms(chat, "ana", "Poll: Which meetup topic?") == 1
    await chat.say("1", as_="ana")  # Rust
    await day(chat, 1)  # ana voted: to step 3, a day later
    await day(chat, 1)
    assert dms(chat, "ana", "Your vote counts") == 1 and dms(chat, "ben", "Your vote counts") == 0
    await day(chat, 1)  # ben did not vote: two days after the poll, step 2
    assert dms(chat, "ben", "Next time, then") == 1 and dms(chat, "ana", "Next time, then") == 0


async def test_another_title_is_the_one_each_member_was_not_sent(chat: Chat) -> None:
    for name in ("ana", "ben", "cy", "dee"):
        await chat.onboard(name, function="data")
    article = await content(chat, "Salaries this year.", "Title A", "Title B")
    await chat.say("/nurture new Titles | function=data", as_="hr")
    await chat.say(f"/nurture step 1 content {article} unopened=1d", "/nurture start 1", as_="hr")
    await day(chat, 0.01)
    first = {name: "Title A" if dms(chat, name, "Title A") else "Title B" for name in NAMES}
    assert set(first.values()) == {"Title A", "Title B"}  # split between the two
    await day(chat, 1)  # nobody opened it: each gets the title they did not get
    for name in NAMES:
        assert dms(chat, name, "Title A") == 1 and dms(chat, name, "Title B") == 1, name


NAMES = ("ana", "ben", "cy", "dee")


async def test_a_wait_of_a_day_is_a_day_when_the_walk_comes_a_little_early(chat: Chat) -> None:
    await chat.onboard("ana", function="data")
    first = await content(chat, "One.", "First piece")
    second = await content(chat, "Two.", "Second piece")
    await chat.say("/nurture new Daily | function=data", as_="hr")
    await chat.say(f"/nurture step 1 content {first}", as_="hr")
    await chat.say(f"/nurture step 1 content {second} wait=1d", "/nurture start 1", as_="hr")
    await day(chat, 0.01)
    assert dms(chat, "ana", "First piece") == 1
    await day(chat, 1 - 0.005 / 86400)  # tomorrow's walk, five milliseconds earlier
    assert dms(chat, "ana", "Second piece") == 1


async def test_show_counts_what_the_cap_held_back_as_held_back_not_sent(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    capped = settings.model_copy(update={"outbox": OutboxSettings(frequency_cap=0)})
    chat = Chat.start(capped, db, clock)
    for name in ("ana", "ben"):
        await chat.onboard(name, function="data")
    article = await content(chat, "Salaries this year.", "Salaries")
    await chat.say("/nurture new Capped | function=data", as_="hr")
    await chat.say(f"/nurture step 1 content {article}", "/nurture start 1", as_="hr")
    await day(chat, 0.01)
    assert dms(chat, "ana", "Salaries") == 0
    shown = await chat.say("/nurture show 1", as_="hr")
    assert "entered 2, sent 0, held back 2 (frequency cap 2)" in shown, shown
