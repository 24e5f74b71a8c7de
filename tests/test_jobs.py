"""Jobs at the console: HR previews and sends invitations to apply, members answer with
reasons, the applicant tracking system reports progress, and the funnel names the bottleneck
that a hand count finds."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.handlers.pipeline.funnel import write_invitations
from bot.pictures import funnel_png
from bot.settings import Settings
from storage.db import Database
from storage.models import Campaign, Delivery, Feedback, Invitation, Job
from storage.pipeline import Scope, funnel
from tests.chat import Chat
from tests.test_membership import member_named

JOB = ("Backend engineer", "engineering", "senior", "Berlin", "https://ats.example/jobs/7", "-")
TOKEN = "ats-s3cret"


@pytest.fixture
async def chat(db: Database, clock: ManualClock) -> AsyncIterator[Chat]:
    settings = Settings.model_validate(
        {
            "web": {"port": 0},
            "roles": {"hr": ["console:hr"]},
            "pipeline": {"ats_token": TOKEN},
            "limits": {"commands_per_minute": 1000},  # HR types a lot here
        }
    )
    chat = Chat.start(settings, db, clock)
    await chat.app.web.start()
    yield chat
    await chat.app.web.stop()


async def add_job(chat: Chat, *answers: str) -> int:
    seen = await chat.say("/jobs add", *(answers or JOB), as_="hr")
    assert "Saved as job #" in seen, seen
    async with chat.app.db.session() as session:
        return (await session.exec(select(Job.id).order_by(col(Job.id).desc()))).first() or 0


async def invitation_of(chat: Chat, handle: str, job: int) -> Invitation | None:
    member = await member_named(chat, handle)
    async with chat.app.db.session() as session:
        return (
            await session.exec(
                select(Invitation).where(
                    Invitation.member_id == member.id, Invitation.job_id == job
                )
            )
        ).first()


async def token_of(chat: Chat, handle: str, job: int) -> str:
    invitation = await invitation_of(chat, handle, job)
    assert invitation is not None
    async with chat.app.db.session() as session:
        row = await session.get(Delivery, invitation.delivery_id)
        return row.token or ""  # type: ignore[union-attr]


async def ats(chat: Chat, body: object, token: str = TOKEN) -> tuple[int, dict[str, object]]:
    url = f"http://127.0.0.1:{chat.app.web.port}/api/applications"
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, json=body, headers=headers) as response:
            return response.status, await response.json()


async def fill_with_cap(chat: Chat, handle: str) -> None:
    """Give a member the three unsolicited DMs a week the default cap allows."""
    member = await member_named(chat, handle)
    async with chat.app.db.session() as session:
        earlier = Campaign(
            kind="content", subject_type="content", subject_id=0, created_at=chat.app.clock.now()
        )
        session.add(earlier)
        await session.flush()
        for i in range(3):
            session.add(
                Delivery(
                    campaign_id=earlier.id or 0,
                    recipient=f"earlier-{i}",
                    member_id=member.id,
                    platform="console",
                    state="sent",
                    sent_at=chat.app.clock.now() - timedelta(days=1),
                )
            )
        await session.commit()


async def test_an_invitation_reaches_consenting_uncapped_members_who_answer(chat: Chat) -> None:
    for handle in ("ana", "fay", "gus", "cy"):
        await chat.onboard(handle, jobs="yes")
    await chat.onboard("ben", jobs="no")
    await chat.onboard("dee", function="design", jobs="yes")
    await fill_with_cap(chat, "cy")
    job = await add_job(chat)

    seen = await chat.say(f"/jobs invite {job} function=engineering", as_="hr")
    assert "5 members match (function=engineering); 4 accept job invitations; " in seen
    assert "1 are held back by the frequency cap." in seen and "3 would receive it." in seen
    assert "[1] Send to 3  [2] Discard" in seen
    async with chat.app.db.session() as session:  # a preview sends nothing
        assert list(await session.exec(select(Delivery).where(Delivery.state != "sent"))) == []
    seen = await chat.say("1", as_="hr")
    assert f"Invitations for job #{job} are going out" in seen
    await chat.app.worker.drain()

    shown = chat.out.getvalue()
    for handle in ("ana", "fay", "gus"):
        assert f"[DM to {handle}]\n== Invitation to apply: Backend engineer ==" in shown
    for handle in ("ben", "cy", "dee"):
        assert f"[DM to {handle}]\n== Invitation to apply" not in shown
    async with chat.app.db.session() as session:
        reasons = {r.member_id: r.reason for r in await session.exec(select(Delivery))}
    assert reasons[(await member_named(chat, "ben")).id] == "no consent"
    assert reasons[(await member_named(chat, "cy")).id] == "frequency cap"

    seen = await chat.say("2", as_="ana")  # I'm interested
    assert "The recruiting team knows" in seen
    assert "[DM to hr]\n== A member is interested ==" in chat.out.getvalue()
    seen = await chat.say("3", as_="fay")  # Not now: asks why
    assert "The main reason" in seen
    await chat.say("timing", "-", as_="fay")
    seen = await chat.say("4", "salary", "Below market", as_="gus")  # Not for me
    assert "We won't invite you to roles like this for 180 days." in seen
    async with chat.app.db.session() as session:
        feedback = {(f.reason, f.comment) for f in await session.exec(select(Feedback))}
    assert feedback == {("timing", None), ("salary", "Below market")}
    assert (await invitation_of(chat, "ana", job)).status == "interested"  # type: ignore[union-attr]

    second = await add_job(chat, "Platform engineer", *JOB[1:])
    seen = await chat.say(f"/jobs invite {second} function=engineering", as_="hr")
    assert "1 skipped: not for me: this function" in seen  # gus said so
    assert "2 would receive it." in seen  # ana and fay; cy is still capped


async def test_the_funnel_matches_a_hand_count_and_names_the_bottleneck(chat: Chat) -> None:
    handles = ("ana", "ben", "cy", "dee", "eve", "fay")
    for handle in handles:
        await chat.onboard(handle, jobs="yes")
    job = await add_job(chat)
    await chat.say(f"/jobs invite {job}", "1", as_="hr")
    await chat.app.worker.drain()
    # By hand: 6 invited and delivered; ana, ben, cy, dee react (4 opened) and answer (4
    # responded: cy says Not now, dee Not for me); ana is interested and ben follows the Apply
    # link (2 interested); ben and ana apply, ana goes on to interviews and is hired.
    # Conversions: 100%, 67%, 100%, 50%, 100%, 50%, 100%: the largest drop is responded →
    # interested (and interviewing follows it at 50%; the first one wins).
    await chat.say("2", as_="ana")
    await chat.say("3", "timing", "-", as_="cy")
    await chat.say("4", "location", "-", as_="dee")
    port = chat.app.web.port
    ben = await token_of(chat, "ben", job)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/r/{ben}", allow_redirects=False) as reply,
    ):
        assert reply.status == 302
        assert reply.headers["Location"] == f"https://ats.example/jobs/7?roost_ref={ben}"

    assert await ats(chat, {"ref": ben, "status": "applied"}, token="wrong") == (
        401,
        {"ok": False, "error": "invalid token"},
    )
    assert (await invitation_of(chat, "ben", job)).applied_at is None  # type: ignore[union-attr]
    status, body = await ats(chat, {"ref": ben, "status": "applied"})
    assert (status, body["status"], body["changed"]) == (200, "applied", True)
    status, body = await ats(chat, {"ref": ben, "status": "promoted"})
    assert status == 400 and "status (applied, interviewing, hired)" in str(body["error"])
    assert (await ats(chat, {"ref": "nope", "status": "hired"}))[0] == 404
    ana = await member_named(chat, "ana")
    status, _ = await ats(chat, {"job_id": job, "member_id": ana.id, "status": "interviewing"})
    assert status == 200
    seen = await chat.say(f"/jobs status {job} #{ana.id} hired", as_="hr")
    assert f"Marked #{ana.id} as hired" in seen
    seen = await chat.say(f"/jobs status {job} #{ana.id} applied", as_="hr")
    assert "is hired for job" in seen  # never backwards

    seen = await chat.say(f"/stats funnel job={job}", as_="hr")
    for line in (
        "invited: 6",
        "delivered: 6 (100% of the step before)",
        "opened: 4 (67% of the step before)",
        "responded (any answer, Not now and Not for me too): 4 (100% of the step before)",
        "interested (I'm interested, or Apply): 2 (50% of the step before)",
        "applied: 2 (100% of the step before)",
        "interviewing: 1 (50% of the step before)",
        "hired: 1 (100% of the step before)",
        "Bottleneck: responded → interested: only 50% get through",
        "Why members declined: location 1, timing 1",
        "[image: The funnel as bars, invited to hired]",
    ):
        assert line in seen, line
    async with chat.app.db.session() as session:
        result = await funnel(session, Scope(job_id=job))
        out = io.BytesIO()
        await write_invitations(session, Scope(job_id=job), out, lambda _n: None)
        rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    chart = await funnel_png("Funnel", result.steps, ("opened", "responded"))
    assert chart.startswith(b"\x89PNG") and len(chart) > 5000
    assert sorted(r["status"] for r in rows) == [
        "applied",
        "hired",
        "invited",
        "invited",
        "not_for_me",
        "not_now",
    ]

    seen = await chat.say("/stats sources", as_="hr")
    assert "direct: 6 joined, 6 active, 6 invited, 2 applied (33%)" in seen
    assert "[image: Members by source" in seen
    seen = await chat.say("/stats funnel source=alumni", as_="hr")
    assert "Nobody was invited to apply in this scope yet." in seen
    seen = await chat.say("/stats funnel job=x", as_="hr")
    assert "job= takes a number" in seen


async def test_bad_jobs_and_strangers_are_refused(chat: Chat) -> None:
    await chat.onboard("ana")
    seen = await chat.say("/jobs add", *JOB[:4], "ats.example/apply", "-", as_="hr")
    assert "must start with https://" in seen
    seen = await chat.say("/jobs add", *JOB[:5], "2020-01-01", as_="hr")
    assert "That closing date has passed" in seen
    seen = await chat.say("/jobs invite 99", as_="hr")
    assert "There is no job 99" in seen
    seen = await chat.say("/jobs list", as_="ana")
    assert "only for the hr team" in seen
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Job))) == []
    job = await add_job(chat)
    seen = await chat.say(f"/jobs invite {job} colour=blue", as_="hr")
    assert "colour=blue is not a filter" in seen
    seen = await chat.say(f"/jobs status {job} #99 hired", as_="hr")
    assert "I can't find #99" in seen
    ana = await member_named(chat, "ana")
    seen = await chat.say(f"/jobs status {job} #{ana.id} hired", as_="hr")
    assert "was not invited to job" in seen


FORMULA = '=HYPERLINK("https://evil.example","x")'


async def test_exports_never_hand_a_spreadsheet_a_formula(chat: Chat) -> None:
    await chat.onboard("ana", location=FORMULA)
    exported = await chat.say("/members csv", as_="hr")
    rows = list(csv.DictReader(io.StringIO(exported.split("bytes]\n", 1)[1])))
    assert [r["location"] for r in rows if r["name"] == "Ana"] == ["'" + FORMULA]

    await chat.say("/invites create website campaign=+1-1", as_="hr")
    seen = await chat.say("/invites export", as_="hr")
    assert ",'+1-1," in seen and ",+1-1," not in seen

    job = await add_job(chat, "@SUM(A1:A9)", *JOB[1:])
    await chat.say(f"/jobs invite {job}", "1", as_="hr")
    async with chat.app.db.session() as session:
        out = io.BytesIO()
        await write_invitations(session, Scope(job_id=job), out, lambda _n: None)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert [r["job_title"] for r in rows] == ["'@SUM(A1:A9)"]


async def test_the_ats_endpoint_answers_a_bracket_bomb_or_a_huge_body_with_a_400(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{chat.app.web.port}/api/applications"
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http:
        for body in ("[" * 100_000 + "]" * 100_000, '{"status": "applied", "x": "' + "y" * 70_000):
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 400
                assert "send JSON with status" in (await response.json())["error"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_one_member_matches_in_the_singular(chat: Chat) -> None:
    await chat.onboard("ana", jobs="yes")
    job = await add_job(chat)
    seen = await chat.say(f"/jobs invite {job}", as_="hr")
    assert "1 member matches;" in seen and "1 members match" not in seen
