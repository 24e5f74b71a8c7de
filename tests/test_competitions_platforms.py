"""A competition on every platform through the real libraries, from registration to announced
winners: entries through the platform's own forms, a late submission refused, a judge scoring,
the winners posted to the community channel."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from storage.db import Database
from storage.models import Entry, Score
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import COMMUNITY
from tests.emulators.telegram import COMMUNITY_ID, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.test_competitions import ANSWERS, DEADLINE
from tests.test_telegram import onboard as telegram_onboard

FIELDS = ("title", "rules", "prize", "criteria", "registration", "submission")
ENTRY = {"link": "https://github.com/ana/parser", "text": "SIMD, all of it"}
LATE = {"link": "https://github.com/ben/late", "text": "Almost"}


def deadline_passes(app: App) -> None:
    app.clock.now = lambda: DEADLINE  # type: ignore[method-assign]


async def facts(db: Database) -> tuple[list[str | None], int]:
    async with db.session() as session:
        links = sorted((e.link or "-") for e in await session.exec(select(Entry)))
        scores = len(list(await session.exec(select(Score))))
    return links, scores  # type: ignore[return-value]


async def test_on_telegram(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        hana, ana, ben = roost.hana, roost.user("Ana"), roost.user("Ben")
        await telegram_onboard(roost, ana)
        await telegram_onboard(roost, ben)
        assert "Competition #1 is announced" in await roost.say(hana, "/competition", *ANSWERS)
        assert "now judges" in await roost.say(hana, f"/judge 1 telegram:{hana.id}")

        def announcement() -> dict[str, Any] | None:
            posts = [m for (c, _), m in roost.tg.messages.items() if c == COMMUNITY_ID]
            return next((m for m in posts if "Fastest parser" in (m.get("text") or "")), None)

        await wait_for(roost.tg, lambda: announcement() is not None)
        for member in (ana, ben):
            await roost.act(member.press("Register", announcement()))
            assert "You're in: Fastest parser" in member.text()
        await roost.act(ana.press("Submit my entry", ana.last(with_buttons=True)))
        assert "Submitted" in await roost.say(ana, ENTRY["link"], ENTRY["text"])

        deadline_passes(roost.app)
        await roost.act(ben.press("Submit my entry", ben.last(with_buttons=True)))
        assert "have closed; no entry was received" in await roost.say(ben, *LATE.values())
        assert "Scored entry 1" in await roost.say(hana, "/score 1 correctness=9 speed=7")
        assert "being announced" in await roost.say(hana, "/winners 1")

        def winners() -> bool:
            posts = [m for (c, _), m in roost.tg.messages.items() if c == COMMUNITY_ID]
            return any("And the winners are" in (m.get("text") or "") for m in posts)

        await wait_for(roost.tg, winners)
    assert await facts(sqlite_db) == (["-", ENTRY["link"]], 2)


async def test_on_slack(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_slack(sqlite_db, clock) as roost:
        hana, ana, ben = roost.hana, roost.user("Ana"), roost.user("Ben")
        await roost.run(hana, "competition")
        await roost.act(hana.submit(dict(zip(FIELDS, ANSWERS, strict=True))))
        assert "now judges" in await roost.run(hana, f"judge 1 slack:{hana.id}")

        def announcement() -> dict[str, Any] | None:
            posts = [m for m in roost.slack.messages if m["channel"] == COMMUNITY]
            return next((m for m in posts if "Competition: Fastest parser" in str(m)), None)

        await roost.slack.wait_for(lambda: announcement() is not None)
        for member in (ana, ben):
            await roost.act(member.press("Register", announcement()))
        await roost.press(ana, "Submit my entry")
        await roost.act(ana.submit(ENTRY))
        assert "Submitted: your entry" in ana.text()

        deadline_passes(roost.app)
        await roost.press(ben, "Submit my entry")
        await roost.act(ben.submit(LATE))
        assert "have closed; no entry was received" in ben.text()
        assert "Scored entry 1" in await roost.run(hana, "score 1 correctness=9 speed=7")
        await roost.run(hana, "winners 1")
        await roost.slack.wait_for(
            lambda: any(
                "And the winners are" in str(m)
                for m in roost.slack.messages
                if m["channel"] == COMMUNITY
            )
        )
    assert await facts(sqlite_db) == (["-", ENTRY["link"]], 2)


async def test_on_discord(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        hana = roost.hana
        await roost.slash(hana, "competition")
        answers = dict(zip(FIELDS, ANSWERS, strict=True))
        await roost.act(hana.submit({k: answers[k] for k in FIELDS[:5]}))
        await roost.press(hana, "Continue (2/2)")
        await roost.act(hana.submit({"submission": answers["submission"]}))
        await roost.act(hana.slash("judge", competition="1", member=f"discord:{hana.id}"))
        assert "now judges" in hana.text()
        channel = roost.discord.channel_id

        def announcement() -> dict[str, Any] | None:
            posts = roost.discord.messages.get(channel, [])
            return next((m for m in posts if "Competition: Fastest parser" in str(m)), None)

        await roost.discord.wait_for(lambda: announcement() is not None)
        ana, ben = add_member(roost.discord, "Ana"), add_member(roost.discord, "Ben")
        for member in (ana, ben):
            await member.join(dispatch=False)
            await roost.act(member.press("Register", announcement()))
        await roost.press(ana, "Submit my entry")
        await roost.act(ana.submit(ENTRY))
        assert "Submitted: your entry" in ana.text()

        deadline_passes(roost.app)
        await roost.press(ben, "Submit my entry")
        await roost.act(ben.submit(LATE))
        assert "have closed; no entry was received" in ben.text()
        seen = await roost.slash(hana, "score", entry="1", scores="correctness=9 speed=7")
        assert "Scored entry 1" in seen
        await roost.slash(hana, "winners", competition="1")
        await roost.discord.wait_for(
            lambda: any(
                "And the winners are" in str(m) for m in roost.discord.messages.get(channel, [])
            )
        )
    assert await facts(sqlite_db) == (["-", ENTRY["link"]], 2)
