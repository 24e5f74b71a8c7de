"""An event at the console, start to end: HR announces it, it fills and waitlists, a
cancellation moves the waitlist up, reminders go out at the right times, check-in takes the
right code and refuses guessing, the survey follows the end, and HR sees the numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.app import App
from bot.clock import ManualClock
from bot.scheduler.jobs import RUNNING, launch_campaign
from bot.settings import EngagementSettings, LimitSettings, Settings
from storage.db import Database
from storage.models import Campaign, CommunityEvent, InviteCode, Registration, SurveyResponse
from tests.chat import Chat
from tests.test_membership import member_named

START, END = datetime(2026, 11, 30, 18, 0, tzinfo=UTC), datetime(2026, 11, 30, 19, 30, tzinfo=UTC)
ANSWERS = (
    "info_session",
    "Backend team Q&A",
    "Meet the team behind our payments platform.",
    "2026-11-30 18:00",
    "19:30",
    "Berlin office, floor 3",
    "2",
    "-",
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """HR and members type a lot here: more than the default commands a minute."""
    return settings.model_copy(update={"limits": LimitSettings(commands_per_minute=1000)})


async def run(app: App, kind: str, at: datetime) -> None:
    """The clock reaches `at` and the job store runs the campaign of `kind`, as it would."""
    async with app.db.session() as session:
        campaign = (await session.exec(select(Campaign).where(Campaign.kind == kind))).first()
        assert campaign is not None
    app.clock.now = lambda: at  # type: ignore[method-assign]
    token = RUNNING.set(app.scheduler)
    try:
        await launch_campaign(campaign.id or 0)
    finally:
        RUNNING.reset(token)
    await app.worker.drain()


async def statuses(chat: Chat) -> dict[str, str]:
    found = {}
    for name in ("ana", "ben", "cy"):
        member = await member_named(chat, name)
        async with chat.app.db.session() as session:
            row = (
                await session.exec(select(Registration).where(Registration.member_id == member.id))
            ).first()
        found[name] = row.status if row else "-"
    return found


async def test_an_event_from_announcement_to_survey(chat: Chat) -> None:
    seen = await chat.say("/event", *ANSWERS, as_="hr")
    assert "Event #1 is announced in every community channel" in seen
    await chat.app.worker.drain()
    posted = chat.out.getvalue()
    assert "[#community]\n== Information session: Backend team Q&A ==" in posted
    assert "When: Mon 30 Nov 2026, 18:00–19:30 (UTC)" in posted and "Places left: 2 of 2" in posted

    seen = await chat.say("1", as_="ana", channel=True)  # Register
    assert "== You're registered! Backend team Q&A ==" in seen and "[file event-1.ics" in seen
    assert "DTSTART:20261130T180000Z" in seen and "SUMMARY:Backend team Q&A" in seen
    await chat.say(":channel", "1", as_="ben")
    seen = await chat.say(":channel", "1", as_="cy")
    assert "full, so you're on the waitlist" in seen
    assert await statuses(chat) == {"ana": "registered", "ben": "registered", "cy": "waitlisted"}
    seen = await chat.say(":channel", "1", as_="ana")
    assert "already on the list" in seen

    seen = await chat.say(":dm", "1", as_="ben")  # Cancel my place, in his confirmation
    assert "Your place at Backend team Q&A is cancelled" in seen
    assert "[DM to cy]\n== A place freed up: you're registered for Backend team Q&A ==" in (
        chat.out.getvalue()
    )
    assert await statuses(chat) == {"ana": "registered", "ben": "cancelled", "cy": "registered"}

    async with chat.app.db.session() as session:
        planned = {
            c.kind + (f"@{c.scheduled_at:%d %H:%M}" if c.kind != "event" else "")
            for c in await session.exec(select(Campaign).order_by(col(Campaign.id)))
        }
    assert planned == {
        "event",
        "event_reminder@29 18:00",
        "event_reminder@30 17:00",
        "event_survey@30 19:30",
    }
    await run(chat.app, "event_reminder", START - timedelta(hours=24))
    reminders = chat.out.getvalue().count("== Reminder: Backend team Q&A ==")
    assert reminders == 2 and "[DM to ben]\n== Reminder" not in chat.out.getvalue()

    seen = await chat.say("/checkincode 1", as_="hr")
    code = seen.split("Backend team Q&A: ")[1][:6]
    chat.app.clock.now = lambda: START + timedelta(minutes=5)  # type: ignore[method-assign]
    assert "That's not the code" in await chat.say("/checkin 000000", as_="ana")
    assert "You're checked in" in await chat.say(f"/checkin {code}", as_="ana")
    for _ in range(5):
        seen = await chat.say("/checkin 111111", as_="cy")
    assert "Too many wrong codes" in seen
    assert "Too many wrong codes" in await chat.say(f"/checkin {code}", as_="cy")
    assert "You're not registered for this event." in await chat.say(f"/checkin {code}", as_="ben")
    assert "not registered for an event that is on now" in await chat.say("/checkin 1", as_="eve")

    await run(chat.app, "event_survey", END)
    assert chat.out.getvalue().count("== How was Backend team Q&A? ==") == 2
    seen = await chat.say(":dm", "1", as_="ana")  # Answer
    assert "How satisfied are you?" in seen
    seen = await chat.say("5", "9", "Great questions", as_="ana")
    assert "Thank you! It helps us do better." in seen

    async with chat.app.db.session() as session:
        code_of_event = (await session.exec(select(InviteCode))).one().code
    await chat.onboard("dee", code=code_of_event)  # someone the event brought in

    seen = await chat.say("/stats events", as_="hr")
    assert (
        "#1 Backend team Q&A: 2 registered, 1 attended (50%), 1 new members through its code; "
        "satisfaction 5.0/5, would recommend 9.0/10, survey answered by 50%"
    ) in seen
    assert "[image: Registered, attended and new members per event]" in seen
    async with chat.app.db.session() as session:
        response = (await session.exec(select(SurveyResponse))).one()
    assert response.scores == {"satisfaction": 5, "recommend": 9}


async def test_bad_events_are_refused_and_nothing_is_announced(chat: Chat) -> None:
    ends_first = (*ANSWERS[:4], "17:00", *ANSWERS[5:])
    seen = await chat.say("/event", *ends_first, as_="hr")
    assert "the event ends before it starts" in seen and "Nothing was announced" in seen
    past = (*ANSWERS[:3], "2026-11-01 18:00", *ANSWERS[4:])
    assert "the start has passed" in await chat.say("/event", *past, as_="hr")
    nonsense = (*ANSWERS[:3], "next friday", *ANSWERS[4:])
    assert "is not a time like 2026-12-10 18:00" in await chat.say("/event", *nonsense, as_="hr")
    no_places = (*ANSWERS[:6], "0", "-")
    assert "places must be a positive number" in await chat.say("/event", *no_places, as_="hr")
    assert "only for the hr team" in await chat.say("/event", as_="ana")
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(CommunityEvent))) == []
        assert list(await session.exec(select(Campaign))) == []


async def test_reminders_follow_the_configured_hours(
    settings: Settings, db: Database, clock: ManualClock
) -> None:
    hours = settings.model_copy(
        update={"engagement": EngagementSettings(event_reminders_hours=(48, 2))}
    )
    chat = Chat.start(hours, db, clock)
    await chat.say("/event", *ANSWERS, as_="hr")
    async with chat.app.db.session() as session:
        reminders = sorted(
            c.scheduled_at or START
            for c in await session.exec(select(Campaign).where(Campaign.kind == "event_reminder"))
        )
    assert reminders == [START - timedelta(hours=48), START - timedelta(hours=2)]
