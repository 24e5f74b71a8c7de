"""The HR dashboard's door (SQLite and PostgreSQL, over HTTP to Roost's own server): a link from
`/dashboard` signs in once and only within 10 minutes; every route refuses a visitor without a
session, a POST without the session's CSRF token, and a member who no longer holds HR."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from storage.models import (
    AuditEntry,
    CommunityEvent,
    Identity,
    Job,
    Label,
    Poll,
    PollOption,
    Registration,
)
from tests.chat import Chat
from tests.seed import approved_content
from tests.test_membership import add_code

LINK = re.compile(r"https?://\S+/dashboard/signin\?token=[\w-]+")


def settings_with(hr: list[str]) -> Settings:
    return Settings.model_validate(
        {"web": {"port": 0}, "roles": {"hr": hr}, "community": {"name": "Acme Talent"}}
    )


@pytest.fixture
async def chat(db: Database, clock: ManualClock) -> AsyncIterator[Chat]:
    chat = Chat.start(settings_with(["console:hr", "slack:S0HR"]), db, clock)
    await chat.app.web.start()
    yield chat
    await chat.app.web.stop()


def client() -> aiohttp.ClientSession:
    """A client that keeps cookies from 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def base(chat: Chat) -> str:
    return f"http://127.0.0.1:{chat.app.web.port}"


async def link_for(chat: Chat, user: str = "hr") -> str:
    """The sign-in link `/dashboard` DMs, pointed at the test server."""
    seen = await chat.say("/dashboard", as_=user)
    found = LINK.search(seen)
    assert found is not None, seen
    return base(chat) + found.group().split("127.0.0.1:8080", 1)[-1]


async def signed_in(chat: Chat, http: aiohttp.ClientSession, user: str = "hr") -> None:
    async with http.get(await link_for(chat, user)) as response:
        assert response.status == 200 and str(response.url).endswith("/dashboard")


def routes(chat: Chat) -> list[tuple[str, str]]:
    """Every dashboard route, as (method, a path to it)."""
    found = []
    for resource in chat.app.web.app.router.resources():
        path = re.sub(r"\{\w+\}", "1", resource.canonical)
        if path.startswith("/dashboard") and path != "/dashboard/signin":
            found += [(route.method, path) for route in resource if route.method != "HEAD"]
    return found


async def test_no_route_opens_without_a_session(chat: Chat) -> None:
    await chat.onboard("ana")
    paths = routes(chat)
    assert len(paths) >= 6
    async with client() as http:
        for method, path in paths:
            async with http.request(method, base(chat) + path, allow_redirects=False) as response:
                assert response.status == 401, (method, path)
                assert "Sign in from chat" in await response.text()
    assert "is only for the hr team" in await chat.say("/dashboard", as_="ana")


async def test_a_link_signs_in_once_and_only_for_ten_minutes(chat: Chat) -> None:
    clock: ManualClock = chat.app.clock  # type: ignore[assignment]
    async with client() as http:
        link = await link_for(chat)
        async with http.get(link) as response:
            assert response.status == 200 and "Overview" in await response.text()
            cookie = response.history[0].headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
        async with http.get(base(chat) + "/dashboard/members") as response:
            assert response.status == 200 and "1 member match." in await response.text()
    async with client() as other:
        async with other.get(link) as response:  # a second use
            assert response.status == 401
        late = await link_for(chat)
        clock.advance(timedelta(minutes=11))
        async with other.get(late) as response:
            assert response.status == 401 and "used or expired" in await response.text()
    async with chat.app.db.session() as session:
        actions = {a.action for a in await session.exec(select(AuditEntry))}
    assert {"dashboard.overview", "dashboard.members"} <= actions


async def test_a_post_needs_the_csrf_token_and_a_demoted_member_is_shown_out(chat: Chat) -> None:
    await chat.onboard("ana")
    async with client() as http:
        await signed_in(chat, http)
        label = f"{base(chat)}/dashboard/members/1/label"
        async with http.post(label, data={"label": "vip"}, allow_redirects=False) as response:
            assert response.status == 403
        async with http.get(base(chat) + "/dashboard/members/1") as response:
            token = re.search(r'name="csrf" value="([^"]+)"', await response.text())
        assert token is not None
        data = {"label": "vip", "csrf": token.group(1)}
        async with http.post(label, data=data, allow_redirects=False) as response:
            assert response.status == 303
        async with chat.app.db.session() as session:
            assert [lb.name for lb in await session.exec(select(Label))] == ["vip"]

        chat.app.web.dashboard.settings = settings_with(["console:boss"])  # HR is someone else
        async with http.get(base(chat) + "/dashboard") as response:
            assert response.status == 403
        chat.app.web.dashboard.settings = settings_with(["console:hr"])
        async with http.get(base(chat) + "/dashboard") as response:
            assert response.status == 401  # the session ended with the demotion


async def test_hr_by_a_platform_group_loses_the_dashboard_with_the_group(chat: Chat) -> None:
    """As a Slack user group (or a Discord role) said on the member's last event."""
    await chat.onboard("sam")
    async with chat.app.db.session() as session:
        sam = (await session.exec(select(Identity).where(Identity.platform_user_id == "sam"))).one()
        sam.platform, sam.platform_roles = "slack", ["S0HR"]
        await session.commit()
    async with client() as http:
        token = await _link_for_member(chat, sam.member_id)
        async with http.get(f"{base(chat)}/dashboard/signin?token={token}") as response:
            assert response.status == 200
        async with chat.app.db.session() as session:
            again = await session.get(Identity, sam.id)
            assert again is not None
            again.platform_roles = []  # removed from the group
            await session.commit()
        async with http.get(base(chat) + "/dashboard") as response:
            assert response.status == 403


async def _link_for_member(chat: Chat, member_id: int) -> str:
    from storage.dashboard import new_link

    async with chat.app.db.session() as session:
        token = await new_link(session, member_id, chat.app.clock.now(), timedelta(minutes=10))
        await session.commit()
    return token


async def test_every_report_page_shows_what_chat_made(chat: Chat) -> None:
    await add_code(chat, "FAIR", "job-fair")
    await chat.onboard("ana", code="FAIR", function="data", news="yes", jobs="yes")
    now = chat.app.clock.now()
    async with chat.app.db.session() as session:
        poll = Poll(question="Rust or Go?", created_at=now)
        event = CommunityEvent(
            kind="open_day",
            title="Open day",
            created_at=now,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2),
        )
        job = Job(title="Data engineer", function="data", apply_url="https://a.example/1",
                  created_at=now)  # fmt: skip
        session.add_all([poll, event, job])
        await session.flush()
        session.add(PollOption(poll_id=poll.id or 0, position=0, text="Rust"))
        session.add(Registration(event_id=event.id or 0, member_id=1, registered_at=now))
        await session.commit()
    item = await approved_content(chat.app.db, now, "News.", "Big news")
    assert "going out now" in await chat.say(f"/schedule {item} now to=dm", as_="hr")
    await chat.app.worker.drain()
    await chat.say("/jobs invite 1", "1", as_="hr")
    await chat.app.worker.drain()
    await chat.say("3", "timing", "-", as_="ana")  # Not now
    async with client() as http:
        await signed_in(chat, http)

        async def page(path: str) -> str:
            async with http.get(base(chat) + path) as response:
                assert response.status == 200, path
                return await response.text()

        overview = await page("/dashboard")
        assert "Joins and leaves per week" in overview and "<svg" in overview
        assert re.search(r"<td>\d{4}-\d\d-\d\d</td><td>1</td><td>0</td>", overview)  # ana
        assert "job-fair" in overview and "active this week" in overview
        content = await page("/dashboard/content")
        assert "<td>Big news</td><td>1</td>" in content  # one delivered
        campaigns = await page("/dashboard/campaigns")
        assert "invitation" in campaigns and "1 sent" in campaigns
        funnel = await page("/dashboard/funnel?job=1")
        assert (
            "Funnel: job #1 Data engineer" in funnel and "Why members declined: timing 1" in funnel
        )
        assert "Bottleneck" in funnel and "<svg" in funnel
        codes = await page("/dashboard/codes")
        assert "<td>FAIR</td>" in codes and "/dashboard/codes/1/qr.png" in codes
        async with http.get(base(chat) + "/dashboard/codes/1/qr.png") as response:
            assert (await response.read()).startswith(b"\x89PNG")
        activities = await page("/dashboard/activities")
        assert "Open day" in activities and "Rust or Go?" in activities
    async with (
        client() as anonymous,
        anonymous.get(base(chat) + "/dashboard/codes/1/qr.png") as response,
    ):
        assert response.status == 401


HUGE = "99999999999999999999999"


async def test_odd_addresses_get_a_4xx_and_no_traceback(
    chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.onboard("ana")
    async with client() as http:
        await signed_in(chat, http)
        async with http.get(base(chat) + "/dashboard/members/1") as response:
            token = re.search(r'name="csrf" value="([^"]+)"', await response.text())
        assert token is not None
        for method, path in (
            ("GET", f"/dashboard/members/{HUGE}"),
            ("GET", f"/dashboard/codes/{HUGE}/qr.png"),
            ("GET", "/dashboard/members/²"),
            ("GET", "/dashboard/members?page=²"),
            ("POST", f"/dashboard/members/{HUGE}/label"),
            ("GET", "/i/" + "x" * 10_000),
        ):
            data = {"label": "vip", "csrf": token.group(1)} if method == "POST" else None
            async with http.request(method, base(chat) + path, data=data) as response:
                assert response.status < 500, (method, path[:40], response.status)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
