"""Invite codes at the console: HR makes source-tagged codes, members join through them and
are attributed (first touch wins), the landing link counts visits, guessing codes is
throttled, and employees' referrals count only once the referred member is really active."""

from __future__ import annotations

import logging
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from storage.growth import create_code
from storage.members import labels
from storage.models import CodeAttempt, InviteCode, Join, Referral
from tests.chat import Chat
from tests.test_membership import member_named


async def code_for(chat: Chat, source: str) -> InviteCode:
    async with chat.app.db.session() as session:
        return (
            await session.exec(
                select(InviteCode)
                .where(InviteCode.source == source)
                .order_by(col(InviteCode.id).desc())
            )
        ).first()  # type: ignore[return-value]


async def first_sources(chat: Chat) -> dict[str, tuple[str, bool]]:
    async with chat.app.db.session() as session:
        joins = list(await session.exec(select(Join).order_by(col(Join.id))))
    names = {}
    for handle in ("ana", "ben", "cy", "dee", "eve"):
        try:
            names[(await member_named(chat, handle)).id] = handle
        except Exception:
            continue
    return {f"{names[j.member_id]}:{j.source}": (j.source, j.first_touch) for j in joins}


async def test_members_are_attributed_to_the_code_they_came_through(chat: Chat) -> None:
    seen = await chat.say("/invites create job-fair campaign=berlin-2026 uses=2", as_="hr")
    fair = await code_for(chat, "job-fair")
    assert fair.code.startswith("FAIR-") and fair.campaign == "berlin-2026"
    assert f"== Invite code {fair.code} ==" in seen
    assert f"Console type: /join {fair.code}" in seen  # every running platform's way in
    assert f"[image: QR code for http://127.0.0.1:8080/i/{fair.code}]" in seen
    await chat.say("/invites create alumni code=ALUM2026", as_="hr")

    await chat.onboard("ana", code=fair.code)
    await chat.onboard("ben", code="alum2026")  # codes are not case-sensitive
    seen = await chat.onboard("cy", code="NOPE-123")
    assert "couldn't find a valid invite code “NOPE-123”" in seen and "Welcome aboard!" in seen
    await chat.onboard("dee", code=fair.code)
    seen = await chat.onboard("eve", code=fair.code)  # its two uses are gone
    assert "couldn't find a valid invite code" in seen and "Welcome aboard!" in seen
    await chat.say("/join ALUM2026", as_="ana")  # a later code: a secondary touch

    assert await first_sources(chat) == {
        "ana:job-fair": ("job-fair", True),
        "ben:alumni": ("alumni", True),
        "cy:direct": ("direct", True),
        "dee:job-fair": ("job-fair", True),
        "eve:direct": ("direct", True),
        "ana:alumni": ("alumni", False),
    }
    async with chat.app.db.session() as session:
        assert await labels(session, (await member_named(chat, "ben")).id or 0) == ["alumni"]
    listing = await chat.say("/invites list", as_="hr")
    assert f"{fair.code} job-fair · berlin-2026: 2 joins, 0 visits · used up" in listing
    assert "ALUM2026 alumni: 2 joins" in listing
    exported = await chat.say("/invites export", as_="hr")
    assert "[file invite-codes.csv" in exported and "ALUM2026,alumni,,2,0," in exported


async def test_bad_options_and_other_people_change_nothing(chat: Chat) -> None:
    seen = await chat.say("/invites create billboard", as_="hr")
    assert "name a source first: website, email" in seen and "Nothing was created" in seen
    seen = await chat.say("/invites create email expires=tomorrow", as_="hr")
    assert "expires= takes a date such as 2026-12-31" in seen
    await chat.say("/invites create email code=NEWS", as_="hr")
    seen = await chat.say("/invites create email code=news", as_="hr")
    assert "the code NEWS exists already" in seen
    seen = await chat.say("/invites create email", as_="ana")
    assert "only for the hr team" in seen
    seen = await chat.say("/referral", as_="ana")
    assert "only for the employee team" in seen
    async with chat.app.db.session() as session:
        assert [c.code for c in await session.exec(select(InviteCode))] == ["NEWS"]


async def test_guessing_codes_is_throttled_and_nothing_typed_is_logged(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.say("/invites create social code=REAL-CODE", as_="hr")
    await chat.onboard("mallory")
    caplog.set_level(logging.DEBUG, logger="roost")  # all of Roost's own logging
    for i in range(10):
        seen = await chat.say(f"/join GUESS-{i:03}", as_="mallory")
        assert "couldn't find a valid invite code" in seen
    seen = await chat.say("/join REAL-CODE", as_="mallory")  # right, but one try too many
    assert "tried a lot of codes just now, so I can't check another until in a minute" in seen
    assert "GUESS-" not in caplog.text and "REAL-CODE" not in caplog.text

    chat.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await chat.say("/join REAL-CODE", as_="mallory")
    async with chat.app.db.session() as session:
        mallory = await member_named(chat, "mallory")
        sources = list(await session.exec(select(Join.source).where(Join.member_id == mallory.id)))
        tries = len(list(await session.exec(select(CodeAttempt))))
    assert sources == ["direct", "social"] and tries == 11  # the refused try is not counted

    for minute in range(4):  # up to 50 a day
        chat.app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
        for i in range(10 if minute < 3 else 9):
            await chat.say(f"/join GUESS-{minute}{i}", as_="mallory")
    seen = await chat.say("/join REAL-CODE", as_="mallory")
    assert "until tomorrow" in seen


async def test_the_landing_link_counts_visits_and_leads_on(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings.model_validate({"web": {"port": 0, "public_url": "https://roost.example"}})
    chat = Chat.start(settings, db, clock)
    await chat.app.web.start()
    base = f"http://127.0.0.1:{chat.app.web.port}"
    try:
        async with chat.app.db.session() as session:
            invite = await create_code(session, source="website", code="WEB", now=clock.now())
            invite.platform_links = {"telegram": {"deep_link": "https://t.me/bot?start=WEB"}}
            await create_code(session, source="email", code="MAIL", now=clock.now())
            await session.commit()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/i/web", allow_redirects=False) as response:
                assert response.status == 302
                assert response.headers["Location"] == "https://t.me/bot?start=WEB"
            async with http.get(f"{base}/i/MAIL") as response:  # no link to lead to
                assert response.status == 200 and "/join MAIL" in await response.text()
            async with http.get(f"{base}/i/NOPE") as response:
                assert response.status == 404
    finally:
        await chat.app.web.stop()
    async with db.session() as session:
        visits = {c.code: c.visits for c in await session.exec(select(InviteCode))}
    assert visits == {"WEB": 1, "MAIL": 1}


async def test_a_referral_qualifies_only_after_the_member_comes_back(chat: Chat) -> None:
    seen = await chat.say("/referral", as_="employee")
    code = await code_for(chat, "employee-referral")
    assert code.code.startswith("REF-") and "Your personal referral code" in seen
    assert (await chat.say("/referral", as_="employee")).count(code.code) >= 1
    async with chat.app.db.session() as session:  # asking again gives the same code
        assert len(list(await session.exec(select(InviteCode)))) == 1

    seen = await chat.say(f"/join {code.code}", as_="employee")
    assert "a referral code you can't use yourself" in seen
    await chat.onboard("fred", code=code.code)
    seen = await chat.say("/referrals", as_="employee")
    assert "Joined: 1" in seen and "Qualified: 0" in seen
    assert "Nobody has a qualified referral this month yet." in seen

    chat.app.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    await chat.say("/profile", as_="fred")
    assert "Qualified: 0" in await chat.say("/referrals", as_="employee")
    chat.app.clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    await chat.say("/profile", as_="fred")  # active again, 8 days after joining
    seen = await chat.say("/referrals", as_="employee")
    assert "Qualified: 1" in seen and "1. you: 1" in seen
    async with chat.app.db.session() as session:
        referrals = list(await session.exec(select(Referral)))
    assert [(r.status, r.flagged) for r in referrals] == [("qualified", False)]
    assert "Fred" not in seen  # no personal data of the people referred


async def test_circular_referrals_are_refused_and_bursts_flagged(chat: Chat) -> None:
    await chat.say("/referral", as_="employee")
    code = await code_for(chat, "employee-referral")
    await chat.onboard("fred", code=code.code)
    fred = await member_named(chat, "fred")
    async with chat.app.db.session() as session:  # fred, now staff, refers someone back
        back = await create_code(
            session, source="employee-referral", referrer_id=fred.id, now=chat.app.clock.now()
        )
        await session.commit()
    seen = await chat.say(f"/join {back.code}", as_="employee")
    assert "a referral code you can't use yourself" in seen

    for i in range(9):  # ten joins through one code within the hour
        await chat.onboard(f"burst{i}", code=code.code)
    async with chat.app.db.session() as session:
        flags = [r.flagged for r in await session.exec(select(Referral).order_by(col(Referral.id)))]
    assert flags == [False] * 9 + [True]
    assert f"{code.code} employee-referral: 10 joins, 0 visits · ⚠ 1 joins in bursts" in (
        await chat.say("/invites list", as_="hr")
    )
