"""An event on Telegram and Discord through the real libraries: HR announces it in the
platform's own forms, members register from the community channel and get an .ics file by DM,
the waitlist takes the overflow, reminders and the survey arrive, check-in takes the code."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from bot.clock import ManualClock
from storage.db import Database
from storage.models import Registration, SurveyResponse
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import COMMUNITY
from tests.emulators.telegram import COMMUNITY_ID, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.test_events import END, START
from tests.test_events import run as run_campaign
from tests.test_telegram import onboard as telegram_onboard

EVENT = {
    "title": "Open day",
    "description": "Visit the office, meet the team.",
    "starts": "2026-11-30 18:00",
    "ends": "19:30",
    "where": "Berlin office",
    "capacity": "1",
}


async def facts(db: Database) -> tuple[list[str], list[dict[str, int]]]:
    async with db.session() as session:
        statuses = [r.status for r in await session.exec(select(Registration))]
        answers = [a.scores for a in await session.exec(select(SurveyResponse))]
    return sorted(statuses), answers


async def test_on_telegram(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        hana, ana, ben = roost.hana, roost.user("Ana"), roost.user("Ben")
        await telegram_onboard(roost, ana)
        await telegram_onboard(roost, ben)
        await roost.say(hana, "/event")
        await roost.press(hana, "open_day")
        fields = (EVENT["title"], EVENT["description"], EVENT["starts"], EVENT["ends"])
        seen = await roost.say(hana, *fields, EVENT["where"], EVENT["capacity"], "-")
        assert "Event #1 is announced" in seen

        def announcement() -> dict[str, Any] | None:
            posts = [m for (c, _), m in roost.tg.messages.items() if c == COMMUNITY_ID]
            return next((m for m in posts if "Open day: Open day" in (m.get("text") or "")), None)

        await wait_for(roost.tg, lambda: announcement() is not None)
        await roost.act(ana.press("Register", announcement()))
        confirmation = ana.messages()[-1]
        assert confirmation["document"]["file_name"] == "event-1.ics"
        assert "You're registered! Open day" in confirmation.get("caption", "") + ana.text()
        await roost.act(ben.press("Register", announcement()))
        assert "you're on the waitlist" in ben.messages()[-1]["text"]

        await run_campaign(roost.app, "event_reminder", START)
        await wait_for(roost.tg, lambda: "Reminder: Open day" in ana.text())
        assert "Reminder: Open day" not in ben.text()

        code = (await roost.say(hana, "/checkincode 1")).split("Open day: ")[1][:6]
        assert "That's not the code" in await roost.say(ana, "/checkin 000000")
        assert "You're checked in" in await roost.say(ana, f"/checkin {code}")

        await run_campaign(roost.app, "event_survey", END)
        await wait_for(roost.tg, lambda: "How was Open day?" in ana.text())
        await roost.act(ana.press("Answer", ana.last(with_buttons=True)))
        await roost.press(ana, "4")
        await roost.press(ana, "10")
        assert "Thank you! It helps us do better." in await roost.say(ana, "-")
    assert await facts(sqlite_db) == (
        ["registered", "waitlisted"],
        [{"satisfaction": 4, "recommend": 10}],
    )


async def test_on_discord(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        hana = roost.hana
        await roost.slash(hana, "event")
        first = {k: EVENT[k] for k in ("title", "description", "starts", "ends")}
        await roost.act(hana.submit({"kind": "info_session", **first}))
        await roost.press(hana, "Continue (2/2)")
        rest = {"where": "https://stream.example/live", "capacity": "1", "tour": ""}
        await roost.act(hana.submit(rest))
        channel = roost.discord.channel_id

        def announcement() -> dict[str, Any] | None:
            posts = roost.discord.messages.get(channel, [])
            titles = [(m, (m.get("embeds") or [{}])[0].get("title")) for m in posts]
            return next((m for m, t in titles if t == "Information session: Open day"), None)

        await roost.discord.wait_for(lambda: announcement() is not None)
        ana = add_member(roost.discord, "Ana")
        await ana.join(dispatch=False)
        await roost.act(ana.press("Register", announcement()))
        await roost.discord.wait_for(lambda: "You're registered! Open day" in ana.text())
        sent = [m for m in ana.messages() if m.get("attachments")]
        assert sent[-1]["attachments"][0]["filename"] == "event-1.ics"
        ben = add_member(roost.discord, "Ben")
        await ben.join(dispatch=False)
        await roost.act(ben.press("Register", announcement()))
        await roost.discord.wait_for(lambda: "you're on the waitlist" in ben.text())

        await run_campaign(roost.app, "event_reminder", START)
        await roost.discord.wait_for(lambda: "Reminder: Open day" in ana.text())
        assert "Reminder: Open day" not in ben.text()
        code = re.findall(r"\d{6}", await roost.slash(hana, "checkincode", event="1"))[0]
        assert "That's not the code" in await roost.slash(ana, "checkin", code="000000")
        assert "You're checked in" in await roost.slash(ana, "checkin", code=code)

        await run_campaign(roost.app, "event_survey", END)
        await roost.discord.wait_for(lambda: "How was Open day?" in ana.text())
        await roost.act(ana.press("Answer"))
        assert ana.modal()["title"] == "How was it?"
        await roost.act(ana.submit({"satisfaction": "5", "recommend": "8", "comment": "Loved it"}))
    assert await facts(sqlite_db) == (
        ["registered", "waitlisted"],
        [{"satisfaction": 5, "recommend": 8}],
    )


async def test_on_slack(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_slack(sqlite_db, clock) as roost:
        hana, ana, ben = roost.hana, roost.user("Ana"), roost.user("Ben")
        await roost.run(hana, "event")
        await roost.act(hana.submit({"kind": "open_day", **EVENT, "tour": ""}))

        def announcement() -> dict[str, Any] | None:
            posts = [m for m in roost.slack.messages if m["channel"] == COMMUNITY]
            return next((m for m in posts if "Open day: Open day" in str(m)), None)

        await roost.slack.wait_for(lambda: announcement() is not None)
        await roost.act(ana.press("Register", announcement()))
        await roost.slack.wait_for(lambda: "You're registered! Open day" in ana.text())
        assert any(f["name"] == "event-1.ics" for m in ana.messages() for f in m.get("files", []))
        await roost.act(ben.press("Register", announcement()))
        assert "you're on the waitlist" in ben.text()

        await run_campaign(roost.app, "event_reminder", START)
        await roost.slack.wait_for(lambda: "Reminder: Open day" in ana.text())
        assert "Reminder: Open day" not in ben.text()

        code = re.findall(r"\d{6}", await roost.run(hana, "checkincode 1"))[0]
        assert "That's not the code" in await roost.run(ana, "checkin 000000")
        assert "You're checked in" in await roost.run(ana, f"checkin {code}")

        await run_campaign(roost.app, "event_survey", END)
        await roost.slack.wait_for(lambda: "How was Open day?" in ana.text())
        await roost.press(ana, "Answer")
        await roost.act(ana.submit({"satisfaction": "3", "recommend": "6", "comment": ""}))
        assert "Thank you! It helps us do better." in ana.text()
    assert await facts(sqlite_db) == (
        ["registered", "waitlisted"],
        [{"satisfaction": 3, "recommend": 6}],
    )


async def test_on_telegram_a_closed_dm_is_explained_in_the_group(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """Someone who never started the bot registers from the group: the bot may not write to
    them first, so it says so in the group (and the place is theirs)."""
    async with roost_on_telegram(sqlite_db, clock) as roost:
        hana, cy = roost.hana, roost.user("Cy")
        await roost.say(hana, "/event")
        await roost.press(hana, "open_day")
        fields = (EVENT["title"], EVENT["description"], EVENT["starts"], EVENT["ends"])
        await roost.say(hana, *fields, EVENT["where"], EVENT["capacity"], "-")

        def group() -> list[str]:
            return [
                m.get("text") or "" for (c, _), m in roost.tg.messages.items() if c == COMMUNITY_ID
            ]

        await wait_for(roost.tg, lambda: any("Open day: Open day" in t for t in group()))
        post = next(
            m
            for (c, _), m in roost.tg.messages.items()
            if "Open day: Open day" in (m.get("text") or "")
        )
        await roost.act(cy.press("Register", post))
        assert any("Cy, I can't write to you privately yet" in t for t in group())
        assert cy.messages() == []
    assert (await facts(sqlite_db))[0] == ["registered"]
