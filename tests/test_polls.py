"""Polls at the console: HR asks, members vote with buttons that show live counts, a vote
counts once per member, the result goes out at the closing time, and bad polls are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.events import ActionPressed
from bot.scheduler.jobs import RUNNING, launch_campaign
from bot.settings import LimitSettings, Settings
from storage.models import Campaign, Poll, Vote
from storage.polls import tally
from tests.chat import Chat

QUESTION = "Which stack should our next meetup cover?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """HR types a lot in these tests: more than the default commands a minute."""
    return settings.model_copy(update={"limits": LimitSettings(commands_per_minute=1000)})


async def ask(chat: Chat, options: str, *, kind: str = "single", closes: str = "in 2h") -> str:
    answers = (QUESTION, options, kind, "yes", closes, "-", "-")
    return await chat.say("/poll", *answers, as_="hr")


async def close(chat: Chat) -> None:
    """The closing time comes: the scheduled result campaign runs, as the job store would."""
    async with chat.app.db.session() as session:
        result = (await session.exec(select(Campaign).where(Campaign.kind == "poll_result"))).one()
    chat.app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    token = RUNNING.set(chat.app.scheduler)
    try:
        await launch_campaign(result.id or 0)
    finally:
        RUNNING.reset(token)
    await chat.app.worker.drain()


async def test_members_vote_once_with_live_counts_and_get_the_result(chat: Chat) -> None:
    seen = await ask(chat, "Rust\nGo\nPython")
    assert "Poll #1 is going out to every community channel; it closes Fri 27 Nov 11:00" in seen
    await chat.app.worker.drain()
    posted = chat.out.getvalue()
    assert f"[#community]\n== Poll: {QUESTION} ==" in posted
    assert "[1] Rust · 0  [2] Go · 0  [3] Python · 0" in posted

    seen = await chat.say("1", as_="ana", channel=True)  # Rust
    assert "Your answer: Rust." in seen and "[1] Rust · 1  [2] Go · 0" in seen  # live counts
    await chat.say("2", as_="ben", channel=True)  # Go
    seen = await chat.say("2", as_="ana", channel=True)  # changes her mind: one vote each
    assert "Your answer: Go." in seen and "[1] Rust · 0  [2] Go · 2  [3] Python · 0" in seen
    await chat.say("3", as_="cy", channel=True)
    seen = await chat.say("3", as_="cy", channel=True)  # pressing again takes it back
    assert "none (your vote is taken back)" in seen

    await close(chat)
    result = chat.out.getvalue().split(f"== Poll results: {QUESTION} ==")[1]
    assert "Rust: 0\nGo: 2 (100%)\nPython: 0" in result.replace(" (0%)", "")
    assert "2 members voted." in result
    await chat.say(":channel", as_="dee")  # the old poll's button, pressed after the close
    start = len(chat.out.getvalue())
    await chat.app.handle(
        ActionPressed(origin=chat.console._origin(), action="poll.vote", value="1:0")
    )
    assert "This poll has closed" in chat.out.getvalue()[start:]
    async with chat.app.db.session() as session:
        assert len(list(await session.exec(select(Vote)))) == 2
        poll = await session.get(Poll, 1)
        assert poll is not None and poll.closed_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
        counted = await tally(session, 1)
    assert counted.by_platform == (("console", 2),)
    seen = await chat.say("/stats polls", as_="hr")
    assert f"#1 {QUESTION}: 2 voted (console 2); leading: Go (2)" in seen
    assert "[image: Voters per poll and platform]" in seen


async def test_a_quiz_and_a_multiple_choice_poll(chat: Chat) -> None:
    answers = ("Where is our newest office?", "Lisbon\nOslo\nAthens", "quiz", "yes", "in 1d")
    seen = await chat.say("/poll", *answers, "9", "-", as_="hr")
    assert "a quiz needs the right option's number, 1 to 3" in seen
    seen = await chat.say("/poll", *answers, "1", "We opened it in May.", as_="hr")
    assert "Poll #1 is going out" in seen
    await chat.app.worker.drain()
    await chat.say("1", as_="ana", channel=True)
    await close(chat)
    assert "The right answer: Lisbon. We opened it in May." in chat.out.getvalue()

    await ask(chat, "Talks | Workshops | Hackathons", kind="multiple", closes="in 3d")
    await chat.app.worker.drain()
    await chat.say("1", as_="ben", channel=True)
    seen = await chat.say("3", as_="ben", channel=True)
    assert "Your answer: Talks, Hackathons." in seen


async def test_bad_polls_are_refused_and_nothing_is_posted(chat: Chat) -> None:
    seen = await ask(chat, "Only one")
    assert "a poll needs 2 to 10 options, one a line; this one has 1" in seen
    assert "Nothing was posted" in seen
    seen = await ask(chat, "\n".join(f"Option {i}" for i in range(11)))
    assert "this one has 11" in seen
    seen = await ask(chat, "A\nB", closes="yesterday")
    assert "say when it closes: in 2h, in 3d, or 2026-12-07 18:00" in seen
    seen = await ask(chat, "A\nB", closes="2026-11-01 10:00")
    assert "the closing time has passed" in seen
    seen = await chat.say("/poll", as_="ana")
    assert "only for the hr team" in seen
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Poll))) == []
        assert list(await session.exec(select(Campaign))) == []
