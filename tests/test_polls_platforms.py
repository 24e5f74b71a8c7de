"""A poll on every platform through the real libraries: a native poll on Telegram and Discord,
buttons with live counts on Slack; votes (changed, taken back) count once per member; the
result goes to the community channel when the poll closes."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.clock import ManualClock
from bot.events import ChatKind
from bot.scheduler.jobs import RUNNING, launch_campaign
from storage.db import Database
from storage.models import Campaign, Identity, Vote
from storage.polls import tally
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import COMMUNITY
from tests.emulators.telegram import COMMUNITY_ID, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram

QUESTION = "Which stack should our next meetup cover?"
OPTIONS = "Rust\nGo\nPython"


async def close(app: App) -> None:
    async with app.db.session() as session:
        result = (await session.exec(select(Campaign).where(Campaign.kind == "poll_result"))).one()
    app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    token = RUNNING.set(app.scheduler)
    try:
        await launch_campaign(result.id or 0)
    finally:
        RUNNING.reset(token)


async def counts(db: Database) -> tuple[tuple[str, int], ...]:
    async with db.session() as session:
        return (await tally(session, 1)).options


async def test_on_telegram_a_native_poll(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        hana = roost.hana
        await roost.say(hana, "/poll", QUESTION, OPTIONS)
        await roost.press(hana, "single")
        await roost.press(hana, "No")  # not anonymous: a native poll
        seen = await roost.say(hana, "in 2h", "-", "-")
        assert "Poll #1 is going out" in seen
        await wait_for(roost.tg, lambda: bool(roost.tg.polls))
        await roost.app.worker.wait_recorded(1)  # the native poll is known: its votes count
        poll_id, posted = next(iter(roost.tg.polls.items()))
        assert posted["chat"] == COMMUNITY_ID and posted["poll"]["is_anonymous"] is False
        assert [o["text"] for o in posted["poll"]["options"]] == ["Rust", "Go", "Python"]

        ana, ben = roost.user("Ana"), roost.user("Ben")
        await roost.act(ana.answer_poll(poll_id, [0]))
        await roost.act(ben.answer_poll(poll_id, [1]))
        await roost.act(ana.answer_poll(poll_id, [1]))  # changed her mind
        await roost.act(ben.answer_poll(poll_id, []))  # took it back
        assert await counts(sqlite_db) == (("Rust", 0), ("Go", 1), ("Python", 0))

        await close(roost.app)

        def result() -> list[str]:
            texts = [m.get("text") or "" for (c, _), m in roost.tg.messages.items()]
            return [t for t in texts if t.startswith(f"Poll results: {QUESTION}")]

        await wait_for(roost.tg, lambda: bool(result()))
        assert "Go: 1 (100%)" in result()[0] and "1 member voted." in result()[0]
        await roost.act(ana.answer_poll(poll_id, [0]))  # too late: the result is out
        assert await counts(sqlite_db) == (("Rust", 0), ("Go", 1), ("Python", 0))


async def test_on_discord_a_native_poll(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        hana = roost.hana
        await roost.slash(hana, "poll")
        first = {"question": QUESTION, "options": OPTIONS, "kind": "multiple"}
        await roost.act(hana.submit({**first, "anonymous": "no", "closes": "in 2h"}))
        await roost.press(hana, "Continue (2/2)")
        await roost.act(hana.submit({"answer": "", "explanation": ""}))
        channel = roost.discord.channel_id

        def native() -> list[dict[str, Any]]:
            return [m for m in roost.discord.messages.get(channel, []) if m.get("poll")]

        await roost.discord.wait_for(lambda: bool(native()))
        await roost.app.worker.wait_recorded(1)  # the native poll is known: its votes count
        message = native()[0]
        assert message["poll"]["allow_multiselect"] is True
        ana = add_member(roost.discord, "Ana")
        await ana.join(dispatch=False)
        await roost.act(ana.vote(message, 1))
        await roost.act(ana.vote(message, 3))
        await roost.act(ana.vote(message, 1, remove=True))
        assert await counts(sqlite_db) == (("Rust", 0), ("Go", 0), ("Python", 1))

        await close(roost.app)

        def result() -> bool:
            return any(
                (m.get("embeds") or [{}])[0].get("title") == f"Poll results: {QUESTION}"
                for m in roost.discord.messages.get(channel, [])
            )

        await roost.discord.wait_for(result)


async def test_on_slack_buttons_with_live_counts(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_slack(sqlite_db, clock) as roost:
        await roost.run(roost.hana, "poll")
        values = {"question": QUESTION, "options": OPTIONS, "kind": "single", "anonymous": "yes"}
        await roost.act(
            roost.hana.submit({**values, "closes": "in 2h", "answer": "", "explanation": ""})
        )

        def poll() -> dict[str, Any] | None:
            posts = [m for m in roost.slack.messages if m["channel"] == COMMUNITY]
            return next((m for m in posts if QUESTION in str(m.get("blocks"))), None)

        await roost.slack.wait_for(lambda: poll() is not None)
        await roost.app.worker.wait_recorded(1)  # the post is known, so its counts can change
        ana, ben = roost.user("Ana"), roost.user("Ben")
        await roost.act(ana.press("Go · 0", poll()))
        await roost.slack.wait_for(lambda: "Go · 1" in str(poll()))  # edited in place
        await roost.act(ben.press("Rust · 0", poll()))
        await roost.slack.wait_for(lambda: "Rust · 1" in str(poll()) and "Go · 1" in str(poll()))
        assert await counts(sqlite_db) == (("Rust", 1), ("Go", 1), ("Python", 0))
        async with sqlite_db.session() as session:
            assert {v.platform for v in await session.exec(select(Vote))} == {"slack"}

        await close(roost.app)
        await roost.slack.wait_for(
            lambda: any(
                f"Poll results: {QUESTION}" in str(m.get("blocks"))
                for m in roost.slack.messages
                if m["channel"] == COMMUNITY
            )
        )


async def test_one_result_from_native_votes_and_buttons(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """Telegram and the console in one Roost: the native poll and the buttons add up, and a
    member with accounts on both (linked) counts once."""
    out = io.StringIO()
    console = ConsoleAdapter(user="ben", out=out, interactive=False, lines_in=io.StringIO())
    async with roost_on_telegram(sqlite_db, clock, beside=[console]) as roost:
        hana = roost.hana
        await roost.say(hana, "/poll", QUESTION, OPTIONS)
        await roost.press(hana, "single")
        await roost.press(hana, "No")
        await roost.say(hana, "in 2h", "-", "-")
        # woken by every request Roost makes (its long polling among them), no sleeps
        await wait_for(roost.tg, lambda: bool(roost.tg.polls) and "== Poll: " in out.getvalue())
        await roost.app.worker.wait_recorded(2)  # both posts known: votes on them count
        poll_id = next(iter(roost.tg.polls))

        ana = roost.user("Ana")
        await roost.act(ana.answer_poll(poll_id, [0]))  # Rust, natively
        console.chat_kind = ChatKind.CHANNEL
        await console.process("2", roost.app.handle)  # ben: Go, with a button
        assert "[1] Rust · 1  [2] Go · 1  [3] Python · 0" in out.getvalue()  # live, both counted

        async with sqlite_db.session() as session:  # ana links her console account
            member = (
                await session.exec(select(Identity).where(Identity.platform_user_id == str(ana.id)))
            ).one()
            session.add(
                Identity(
                    member_id=member.member_id,
                    platform="console",
                    platform_user_id="ana",
                    created_at=clock.now(),
                )
            )
            await session.commit()
        console.user = "ana"
        await console.process("3", roost.app.handle)  # Python, from her other account
        assert await counts(sqlite_db) == (("Rust", 0), ("Go", 1), ("Python", 1))
        async with sqlite_db.session() as session:
            counted = await tally(session, 1)
        assert counted.voters == 2 and dict(counted.by_platform) == {"console": 2}

        await close(roost.app)
        await wait_for(roost.tg, lambda: "Poll results" in out.getvalue())
        assert "Go: 1 (50%)\nPython: 1 (50%)" in out.getvalue().replace("Rust: 0\n", "")
