"""A competition at the console, from registration to announced winners: entries resubmitted
until the deadline and refused after it, a judge scoring, the leaderboard, the reminder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.settings import LimitSettings, Settings
from storage.models import Campaign, Competition, Entry, Score
from tests.chat import Chat
from tests.test_events import run

ANSWERS = (
    "Fastest parser",
    "Write a JSON parser; the fastest correct one wins.",
    "A conference ticket",
    "Correctness, speed",
    "2026-11-28 18:00",
    "2026-11-30 18:00",
)
DEADLINE = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"limits": LimitSettings(commands_per_minute=1000)})


async def test_a_competition_from_registration_to_winners(chat: Chat) -> None:
    seen = await chat.say("/competition", *ANSWERS, as_="hr")
    assert "Competition #1 is announced" in seen
    await chat.app.worker.drain()
    posted = chat.out.getvalue()
    assert "[#community]\n== Competition: Fastest parser ==" in posted
    assert "Judged on: correctness, speed" in posted

    await chat.say("/help", as_="employee")  # known to Roost, so HR can name them
    await chat.say("/help", as_="ana")
    assert "now judges Fastest parser" in await chat.say("/judge 1 @employee", as_="hr")
    assert "judges this competition already" in await chat.say("/judge 1 @employee", as_="hr")
    await chat.say("/judge 1 @ana", as_="hr")  # named, but she holds no role to score with

    for name in ("ana", "ben", "cy"):
        seen = await chat.say(":channel", "1", as_=name)  # Register
        assert "== You're in: Fastest parser ==" in seen
    seen = await chat.say(
        ":dm", "1", "https://github.com/ana/parser", "SIMD all the way", as_="ana"
    )
    assert "Submitted: your entry to Fastest parser" in seen
    seen = await chat.say("1", "https://github.com/ana/parser2", "Even faster", as_="ana")
    assert "Resubmitted" in seen
    await chat.say(":dm", "1", "https://github.com/ben/json", "Small and correct", as_="ben")

    async with chat.app.db.session() as session:
        planned = {c.kind: c.scheduled_at for c in await session.exec(select(Campaign))}
    assert planned["competition_last_call"] == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert planned["competition_reminder"] == datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    await run(chat.app, "competition_last_call", datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    assert "[#community]\n== Last day to register: Fastest parser ==" in chat.out.getvalue()
    await run(chat.app, "competition_reminder", datetime(2026, 11, 29, 18, 0, tzinfo=UTC))
    assert chat.out.getvalue().count("== One day left: Fastest parser ==") == 3

    assert "Submissions are still open" in await chat.say("/winners 1", as_="hr")
    chat.app.clock.now = lambda: DEADLINE  # type: ignore[method-assign]
    seen = await chat.say(":dm", "1", "https://github.com/cy/late", "Late", as_="cy")
    assert "submissions for Fastest parser have closed; no entry was received" in seen
    seen = await chat.say("1", "https://github.com/ana/parser3", "One more", as_="ana")
    assert "have closed; your entry of Mon 30 Nov 2026" not in seen  # 27 Nov, in fact
    assert "have closed; your entry of Fri 27 Nov 2026 09:00 (UTC) stands" in seen

    seen = await chat.say("/entries 1", as_="employee")
    assert "https://github.com/ana/parser2" in seen and "https://github.com/cy" not in seen
    assert "only for the employee team" in await chat.say("/entries 1", as_="ben")
    assert "only for the employee team" in await chat.say("/score 1 correctness=9", as_="ana")
    seen = await chat.say("/score 1 correctness=11 speed=7", as_="employee")
    assert "points are whole numbers from 0 to 10" in seen
    assert "missing a score for speed" in await chat.say("/score 1 correctness=9", as_="employee")
    await chat.say("/score 1 correctness=9 speed=7", as_="employee")
    await chat.say("/score 2 correctness=6 speed=8", as_="employee")
    seen = await chat.say("/leaderboard 1", as_="ben")
    assert "1. Ana: 16.0 points\n2. Ben: 14.0 points" in seen

    assert "being announced" in await chat.say("/winners 1", as_="hr")
    await chat.app.worker.drain()
    result = chat.out.getvalue().split("== And the winners are… Fastest parser ==")[1]
    assert result.startswith("\n1. Ana: 16.0 points\n2. Ben: 14.0 points")
    assert "Prize: A conference ticket" in result
    assert "scores are final" in await chat.say("/score 2 correctness=10 speed=10", as_="employee")
    async with chat.app.db.session() as session:
        entries = {e.member_id: e.link for e in await session.exec(select(Entry))}
        assert len(list(await session.exec(select(Score)))) == 4
        competition = await session.get(Competition, 1)
    assert sorted(link or "-" for link in entries.values()) == [
        "-",
        "https://github.com/ana/parser2",
        "https://github.com/ben/json",
    ]
    assert competition is not None and competition.announced_at == DEADLINE


async def test_bad_competitions_are_refused(chat: Chat) -> None:
    backwards = (*ANSWERS[:4], "2026-12-10 18:00", "2026-12-01 18:00")
    seen = await chat.say("/competition", *backwards, as_="hr")
    assert "submissions would close before registration does" in seen
    past = (*ANSWERS[:4], "2026-11-01 18:00", ANSWERS[5])
    assert "registration would close in the past" in await chat.say("/competition", *past, as_="hr")
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Competition))) == []
