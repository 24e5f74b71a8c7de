"""A company-news push on every platform: the community channel and the consenting members
get it through the real libraries and the outbox; a member opens it; HR's stats count it."""

from __future__ import annotations

import io
from typing import Any

from sqlmodel import select

from bot.adapters.console import ConsoleAdapter
from bot.clock import ManualClock
from storage.db import Database
from storage.models import ContentItem, Delivery, TitleVariant
from tests.emulators.slack import COMMUNITY
from tests.emulators.telegram import COMMUNITY_ID, wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.test_discord import onboard as discord_onboard
from tests.test_slack import ANSWERS
from tests.test_telegram import onboard as telegram_onboard


async def news(db: Database, clock: ManualClock) -> int:
    async with db.session() as session:
        item = ContentItem(
            kind="company_news",
            body="We open an office in Lisbon.",
            status="approved",
            link_url="https://example.com/lisbon",
            created_at=clock.now(),
        )
        session.add(item)
        await session.flush()
        session.add(TitleVariant(content_id=item.id or 0, position=0, title="Hello, Lisbon"))
        await session.commit()
        return item.id or 0


async def reasons(db: Database) -> dict[str, Any]:
    async with db.session() as session:
        return {r.recipient: (r.state, r.reason) for r in await session.exec(select(Delivery))}


async def test_on_telegram(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        ana, ben = roost.user("Ana"), roost.user("Ben")
        await telegram_onboard(roost, ana)
        await telegram_onboard(roost, ben)
        await roost.say(ben, "STOP")
        content = await news(sqlite_db, clock)
        assert "going out now" in await roost.say(roost.hana, f"/schedule {content} now")

        def arrived() -> bool:
            group = [m for (chat, _), m in roost.tg.messages.items() if chat == COMMUNITY_ID]
            dm = any("Hello, Lisbon" in (m.get("text") or "") for m in ana.messages())
            return dm and any("Hello, Lisbon" in m["text"] for m in group)

        await wait_for(roost.tg, arrived)
        assert not any("Hello, Lisbon" in (m.get("text") or "") for m in ben.messages())
        seen = len(ana.messages())
        await roost.act(ana.press("Read", ana.last(with_buttons=True)))
        assert "We open an office in Lisbon." in ana.messages()[seen]["text"]
        await roost.app.worker.wait_recorded(2)  # the DM and the post: delivered is a fact then
        assert "1 delivered, 1 opened (100%)" in await roost.say(roost.hana, "/stats content")
    assert ("skipped", "no consent") in (await reasons(sqlite_db)).values()


async def test_on_telegram_pages_turn_in_place(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        ana = roost.user("Ana")
        await telegram_onboard(roost, ana)
        content = await news(sqlite_db, clock)
        async with sqlite_db.session() as session:
            item = await session.get(ContentItem, content)
            assert item is not None
            item.body = "\n\n".join(f"Part {i}: " + "x" * 900 for i in range(3))
            await session.commit()
        await roost.say(roost.hana, f"/schedule {content} now to=dm")
        await wait_for(roost.tg, lambda: "Hello, Lisbon" in ana.text())
        await roost.act(ana.press("Read", ana.last(with_buttons=True)))
        page = ana.last(with_buttons=True)
        assert page["text"].startswith("Part 0") and page["text"].endswith("1/3")
        count = len(ana.messages())
        await roost.act(ana.press("Next page", page))
        await roost.act(ana.press("Next page", ana.last(with_buttons=True)))
        assert len(ana.messages()) == count  # the same message, edited twice
        turned = ana.messages()[-1]
        assert turned["message_id"] == page["message_id"] and turned["text"].startswith("Part 2")
        assert turned["text"].endswith("3/3") and "edit_date" in turned


async def test_on_slack(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_slack(sqlite_db, clock) as roost:
        ana, ben = roost.user("Ana"), roost.user("Ben")
        for member in (ana, ben):
            await roost.run(member, "join")
            await roost.act(member.submit(ANSWERS))
        await roost.act(ben.dm("stop"))
        content = await news(sqlite_db, clock)
        assert "going out now" in await roost.run(roost.hana, f"schedule {content} now")

        def posted() -> bool:
            posts = [m for m in roost.slack.messages if m["channel"] == COMMUNITY]
            return any(m["blocks"][0]["text"]["text"] == "Hello, Lisbon" for m in posts)

        await roost.slack.wait_for(lambda: "Hello, Lisbon" in ana.text() and posted())
        assert "Hello, Lisbon" not in ben.text()
        teaser = ana.last(with_buttons=True)
        links = [
            e.get("url", "")
            for b in teaser["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
        ]
        assert any("/r/" in url for url in links) and any("/a/" in url for url in links)
        assert "We open an office in Lisbon." in await roost.press(ana, "Read")
        await roost.app.worker.wait_recorded(2)  # the DM and the post: delivered is a fact then
        assert "1 delivered, 1 opened (100%)" in await roost.run(roost.hana, "stats content")
    assert ("skipped", "no consent") in (await reasons(sqlite_db)).values()


async def test_on_discord(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        ana, ben = await roost.member("Ana"), await roost.member("Ben")
        await discord_onboard(roost, ana)
        await discord_onboard(roost, ben)
        await roost.act(ben.dm("stop"))
        content = await news(sqlite_db, clock)
        assert "going out now" in await roost.slash(
            roost.hana, "schedule", content=str(content), when="now"
        )

        def posted() -> bool:
            posts = roost.discord.messages[roost.discord.channel_id]
            return any(m["embeds"] and m["embeds"][0]["title"] == "Hello, Lisbon" for m in posts)

        await roost.discord.wait_for(lambda: "Hello, Lisbon" in ana.text() and posted())
        sent = [
            m
            for m in roost.discord.messages[f"9{ana.id}"]
            if m["embeds"] and m["embeds"][0]["title"] == "Hello, Lisbon"
        ]
        assert sent[0]["nonce"].startswith("roost-")  # a resend after a crash would post once
        assert "Hello, Lisbon" not in ben.text()
        assert "We open an office in Lisbon." in await roost.press(ana, "Read")
        await roost.app.worker.wait_recorded(2)  # the DM and the post: delivered is a fact then
        assert "1 delivered, 1 opened (100%)" in await roost.slash(
            roost.hana, "stats", action="content"
        )
    assert ("skipped", "no consent") in (await reasons(sqlite_db)).values()


async def test_preview_on_telegram_names_every_platform(
    sqlite_db: Database, clock: ManualClock
) -> None:
    console = ConsoleAdapter(out=io.StringIO(), interactive=False, lines_in=io.StringIO())
    async with roost_on_telegram(sqlite_db, clock, beside=[console]) as roost:
        content = await news(sqlite_db, clock)
        seen = await roost.say(roost.hana, f"/preview {content}")
        assert "Hello, Lisbon" in seen  # the push, as members get it on Telegram
        assert "Telegram: HTML text of" in seen and "3 buttons in 1 row" in seen
        assert "Console: Plain text" in seen
