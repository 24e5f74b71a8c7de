"""Bad input from chat: every command answers a mistake politely, changes nothing, and keeps
Roost running; numbers, durations and dates are read in one place (`bot.parsing`)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.clock import ManualClock
from bot.parsing import ParseError, day, duration, ident, moment, whole
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    Campaign,
    ContentItem,
    Delivery,
    InviteCode,
    JobAlert,
    MemberNote,
    Survey,
)
from tests.chat import Chat
from tests.test_content import compose
from tests.test_jobs import JOB
from tests.test_membership import member_named

HUGE = "99999999999999999999999"
SORRY = "something went wrong"


@pytest.mark.parametrize(
    "command",
    [
        f"/leaderboard {HUGE}",
        f"/entries {HUGE}",
        f"/winners {HUGE}",
        f"/judge {HUGE} @hr",
        f"/score {HUGE} idea=5",
        f"/members active={HUGE}d",
        "/members active=99999999d",
        "/members inactive=99999999w",
        "/invites create website expires=9999-12-31",
        "/invites create website expires=2026-02-30",
        f"/invites create website uses={HUGE}",
        f"/preview {HUGE}",
        f"/edit {HUGE} title Hello",
        f"/schedule {HUGE} now",
        f"/cancel {HUGE}",
        f"/approve {HUGE}",
        f"/decline {HUGE}",
        f"/stats content {HUGE}",
        f"/stats polls {HUGE}",
        f"/stats events {HUGE}",
        f"/stats surveys {HUGE}",
        f"/stats funnel job={HUGE}",
        f"/stats funnel event={HUGE}",
        f"/stats funnel days={HUGE}",
        f"/jobs invite {HUGE}",
        f"/jobs status {HUGE} #1 applied",
        f"/jobs status 1 #{HUGE} applied",
        f"/checkincode {HUGE}",
        f"/label #{HUGE} alumni",
        f"/unlabel #{HUGE} alumni",
    ],
)
async def test_huge_numbers_get_a_polite_answer(chat: Chat, command: str) -> None:
    seen = await chat.say(command, as_="hr")
    assert seen.strip() and SORRY not in seen, seen
    assert await chat.say("/consent", as_="hr")  # and Roost goes on


@pytest.mark.parametrize(
    ("when", "answer"),
    [
        ("now sample=20% wait=99999999999999d", "wait"),
        ("now sample=20% wait=0h", "wait"),
        ("0 0 31 2 *", "never"),
        ("2026-02-30 09:00", "2026-02-30 is not a date"),
        ("2026-12-01 25:00", "not a time"),
        ("every mon 29:00", "not a time"),
    ],
)
async def test_a_schedule_that_cannot_be_kept_is_refused_and_sends_nothing(
    chat: Chat, when: str, answer: str
) -> None:
    await chat.onboard("ana", news="yes")
    content = await compose(chat, "Never sent")
    seen = await chat.say(f"/schedule {content} {when}", as_="hr")
    assert answer in seen and SORRY not in seen, seen
    await chat.app.worker.drain()
    async with chat.app.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Campaign))).one() == 0
        assert (await session.exec(select(func.count()).select_from(Delivery))).one() == 0
    assert "Never sent" not in chat.out.getvalue().split("/schedule")[-1]


def test_one_place_reads_numbers_durations_and_dates() -> None:
    assert ident("#12") == 12 and ident("12") == 12
    assert ident(HUGE) is None and ident("0") is None and ident("١٢") is None and ident("x") is None
    assert whole("7", "days", 1, 3650) == 7
    with pytest.raises(ParseError, match="days is a whole number from 1 to 3650"):
        whole(HUGE, "days", 1, 3650)
    assert duration("2w") == timedelta(weeks=2)
    with pytest.raises(ParseError, match="at most"):
        duration("99999999d")
    assert day("2026-12-24") == datetime(2026, 12, 24).date()
    with pytest.raises(ParseError, match="2026-02-30 is not a date"):
        day("2026-02-30")
    with pytest.raises(ParseError, match="from 2000 to 2099"):
        day("9999-12-31")
    with pytest.raises(ParseError, match="expires= takes a date such as 2026-12-31"):
        day("tomorrow", "expires=")
    assert moment("2026-12-24 18:00", "UTC") == datetime(2026, 12, 24, 18, tzinfo=UTC)
    with pytest.raises(ParseError, match="not a time"):
        moment("2026-12-24 24:00", "UTC")


async def test_control_characters_never_reach_the_database_or_the_log(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.onboard("ana", location="Ber\x00lin")
    seen = await chat.say("/profile location Ham\x00burg\x07", as_="ana")
    assert SORRY not in seen
    member = await member_named(chat, "ana")
    assert member.location == "Hamburg"
    assert "\x00" not in caplog.text and "Ham" not in caplog.text  # nothing typed is logged


async def test_a_survey_needs_a_question_and_someone_to_ask(chat: Chat) -> None:
    await chat.onboard("ana", news="yes")
    assert "needs its question" in await chat.say("/survey |", as_="hr")
    assert "needs its question" in await chat.say("/survey   | function=data", as_="hr")
    seen = await chat.say("/survey How are we doing? | function=sales", as_="hr")
    assert "No member matches function=sales" in seen
    seen = await chat.say("/schedule 1 now to=dm location=Oslo", as_="hr")
    assert "There is no content 1" in seen  # (nothing composed yet)
    content = await compose(chat, "Only for Oslo")
    seen = await chat.say(f"/schedule {content} now to=dm location=Oslo", as_="hr")
    assert "No member matches location=Oslo" in seen
    async with chat.app.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(Campaign))).one() == 0
        assert (await session.exec(select(func.count()).select_from(Survey))).one() == 0


async def test_a_code_that_has_expired_already_is_not_made(chat: Chat) -> None:
    seen = await chat.say("/invites create website expires=2026-11-01", as_="hr")
    assert "expires=2026-11-01 has passed" in seen
    async with chat.app.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(InviteCode))).one() == 0


async def test_links_are_web_addresses_and_lead_only_where_they_belong(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings.model_validate(
        {
            "web": {"port": 0},
            "roles": {"hr": ["console:hr"]},
            "pipeline": {"ats_token": "t"},
            "limits": {"commands_per_minute": 1000},  # HR types a lot here
        }
    )
    chat = Chat.start(settings, db, clock)
    await chat.app.web.start()
    try:
        await chat.onboard("ana", news="yes", jobs="yes")
        answers = ["company_news", "Click me", "-", "-", "Body", "javascript:alert(1)"]
        seen = await chat.say("/compose", *answers, as_="hr")
        assert "must start with https://" in seen and "Saved as content" not in seen
        seen = await chat.say("https://example.com/news", "data:text/html,hi", as_="hr")
        assert "must start with https://" in seen
        seen = await chat.say("-", as_="hr")
        assert "Saved as content #1" in seen
        seen = await chat.say("/edit 1 link javascript:alert(1)", as_="hr")
        assert "not a web address" in seen
        async with db.session() as session:
            item = await session.get(ContentItem, 1)
            assert item is not None and item.link_url == "https://example.com/news"
            item.link_url = "javascript:alert(1)"  # as an older Roost may have kept it
            session.add(item)
            await session.commit()
        await chat.say("/jobs add", *JOB, as_="hr")
        await chat.say("/jobs invite 1", "1", as_="hr")
        await chat.say("/schedule 1 now to=dm", as_="hr")
        await chat.app.worker.drain()
        async with db.session() as session:
            rows = {r.campaign_id: r.token for r in await session.exec(select(Delivery))}
        base = f"http://127.0.0.1:{chat.app.web.port}"
        job_token, news_token = rows[1], rows[2]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/r/{news_token}", allow_redirects=False) as reply:
                assert reply.status == 404  # never on to javascript:
            async with http.get(f"{base}/a/{job_token}") as reply:
                assert reply.status == 404  # a job invitation is no article
            async with http.get(f"{base}/a/{news_token}") as reply:
                assert reply.status == 200 and "Body" in await reply.text()
            body = {"job_id": 1, "member_id": int(HUGE), "status": "applied"}
            headers = {"Authorization": "Bearer t"}
            async with http.post(f"{base}/api/applications", json=body, headers=headers) as reply:
                assert reply.status == 404
            body = {"job_id": True, "member_id": 1, "status": "applied"}
            async with http.post(f"{base}/api/applications", json=body, headers=headers) as reply:
                assert reply.status == 404
            body = {"ref": "a\x00b", "status": "applied"}  # PostgreSQL keeps no NUL in text
            async with http.post(f"{base}/api/applications", json=body, headers=headers) as reply:
                assert reply.status == 400
            for address in ("/i/%00", "/r/a%00b", "/dashboard/funnel?source=%00"):
                async with http.get(base + address) as reply:
                    assert reply.status == 400, address
    finally:
        await chat.app.web.stop()


def test_a_line_that_is_not_utf8_on_the_console_loses_no_onboarding(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "roost.toml"
    config.write_text("[web]\nenabled = false\n")
    script = b"/join\n1\n4\nBer\xfflin\n-\nyes\nno\n/profile\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        input=script,
        capture_output=True,
        env={**os.environ, "ROOST_DATABASE_URL": db_url},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    out = done.stdout.decode()
    assert done.returncode == 0 and "Traceback" not in done.stderr.decode()
    assert "Welcome aboard!" in out and "Location: Ber\ufffdlin" in out


async def rows(chat: Chat, table: type[Any]) -> int:
    async with chat.app.db.session() as session:
        return (await session.exec(select(func.count()).select_from(table))).one()


async def test_what_is_kept_is_bounded_and_the_limit_is_said(chat: Chat) -> None:
    await chat.onboard("ana")
    seen = await chat.say("/alerts location=" + "x" * 10_000, as_="ana")
    assert "location= can be at most 100 characters (this has 10,000)" in seen
    assert "seniority is one of student" in await chat.say("/alerts seniority=god", as_="ana")
    assert await rows(chat, JobAlert) == 0
    seen = await chat.say("/invites create website campaign=" + "c" * 10_000, as_="hr")
    assert "campaign= can be at most 64 characters" in seen
    assert await rows(chat, InviteCode) == 0
    seen = await chat.say("/note @ana " + "n" * 100_000, as_="hr")
    assert "A note can be at most 1,000 characters (this has 100,000)" in seen
    assert "Noted" not in seen and await rows(chat, MemberNote) == 0
    content = await compose(chat, "Short")
    seen = await chat.say(f"/edit {content} title {'t' * 151}", as_="hr")
    assert "Title can be at most 150 characters" in seen
    seen = await chat.say(f"/edit {content} body {'b' * 6001}", as_="hr")
    assert "can be at most 6,000 characters" in seen
    seen = await chat.say("/survey " + "q" * 151 + " | function=engineering", as_="hr")
    assert "The question can be at most 150 characters" in seen
    assert await rows(chat, Survey) == 0


async def test_a_nurture_sequence_points_only_at_what_exists(chat: Chat) -> None:
    await chat.onboard("ana", function="data")
    assert "there is no invite code NOPE" in await chat.say("/nurture new A | code=NOPE", as_="hr")
    assert "there is no event 99" in await chat.say("/nurture new A | event=99", as_="hr")
    assert "Sequence #1" in await chat.say("/nurture new A | function=data", as_="hr")
    assert "there is no content 99" in await chat.say("/nurture step 1 content 99", as_="hr")
    assert "there is no poll 7" in await chat.say("/nurture step 1 poll 7", as_="hr")
    content = await compose(chat, "One")
    seen = await chat.say(f"/nurture step 1 content {content} partial=2d followup=42", as_="hr")
    assert "there is no content 42 to follow up" in seen
    await chat.say(f"/nurture step 1 content {content} finished=7", as_="hr")
    seen = await chat.say("/nurture start 1", as_="hr")
    assert "step 1's finished=7 points past the last step (1)" in seen
    assert "Sequence #1 A" not in await chat.say("/nurture start 1", as_="hr")


async def test_a_segment_names_only_what_the_community_has(chat: Chat) -> None:
    await chat.onboard("ana", function="data")
    content = await compose(chat, "Weekly")
    for typo, answer in (
        ("function=nonexistent", "function is one of engineering"),
        ("seniority=god", "seniority is one of student"),
        ("source=moon", "source is one of website"),
        ("platform=myspace", "platform is one of console"),
        ("onboarded=maybe", "onboarded is yes or no"),
    ):
        seen = await chat.say(f"/schedule {content} every mon 09:00 {typo}", as_="hr")
        assert answer in seen, typo
        assert answer in await chat.say(f"/members {typo}", as_="hr"), typo
    assert await rows(chat, Campaign) == 0
    seen = await chat.say(f"/schedule {content} every mon 09:00 function=design", as_="hr")
    assert "No member matches function=design yet: only the channels get it." in seen


async def test_invisible_characters_that_turn_text_around_never_reach_hr(chat: Chat) -> None:
    await chat.onboard("ana", location="\u202eBerlin\u200b")
    assert (await member_named(chat, "ana")).location == "Berlin"
    chat.console.user = "eve\u202egnp.exe"
    seen = await chat.say("/members", as_="hr")
    assert "\u202e" not in seen


async def test_chat_leftovers_read_as_they_should(chat: Chat) -> None:
    assert "page= is a whole number from 1 to 99999" in await chat.say("/members page=0", as_="hr")
    assert "is not a filter" not in await chat.say("/members page=x", as_="hr")
