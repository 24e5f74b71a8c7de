"""Industry news from feeds (an RSS and an Atom feed served locally): entries there when a feed
is added are known, each later one becomes a draft to review with its source link, once; a
page that is no feed is refused and nothing is added."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from sqlmodel import col, select

from storage.models import ContentItem, TitleVariant
from tests.chat import Chat

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Data Weekly</title>
<link>https://news.example</link><description>News</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>https://news.example/{n}</link><guid>news-{n}</guid>
<description>&lt;p&gt;Story {n} &amp;amp; more&lt;/p&gt;</description></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Eng Blog</title><id>urn:eng</id><updated>2026-11-30T10:00:00Z</updated>{entries}</feed>"""
ENTRY = """<entry><title>{title}</title><id>urn:eng:{n}</id><updated>2026-11-30T10:00:00Z</updated>
<link href="https://eng.example/{n}"/><summary>Post {n}</summary></entry>"""


class Feeds:
    def __init__(self) -> None:
        self.rss: list[tuple[int, str]] = [(1, "Salaries in data, 2026")]
        self.atom: list[tuple[int, str]] = [(1, "How we test")]
        self.url = ""

    def app(self) -> web.Application:
        async def rss(_request: web.Request) -> web.Response:
            items = "".join(ITEM.format(n=n, title=t) for n, t in self.rss)
            return web.Response(text=RSS.format(items=items), content_type="application/rss+xml")

        async def atom(_request: web.Request) -> web.Response:
            entries = "".join(ENTRY.format(n=n, title=t) for n, t in self.atom)
            return web.Response(
                text=ATOM.format(entries=entries), content_type="application/atom+xml"
            )

        async def page(_request: web.Request) -> web.Response:
            return web.Response(text="<html><body>Hello</body></html>", content_type="text/html")

        async def huge(request: web.Request) -> web.StreamResponse:
            reply = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
            await reply.prepare(request)  # no length said: streamed, as a hostile server would
            await reply.write(RSS.format(items="")[:-17].encode())
            for _ in range(7 * 1024):
                await reply.write(b"<!--" + b"x" * 1017 + b"-->")
            return reply

        app = web.Application()
        app.router.add_get("/rss", rss)
        app.router.add_get("/atom", atom)
        app.router.add_get("/page", page)
        app.router.add_get("/huge", huge)
        return app


@pytest.fixture
async def served() -> AsyncIterator[Feeds]:
    feeds = Feeds()
    runner = web.AppRunner(feeds.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    feeds.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield feeds
    await runner.cleanup()


async def test_new_entries_become_drafts_to_review_once(chat: Chat, served: Feeds) -> None:
    seen = await chat.say(f"/feeds add {served.url}/rss", as_="hr")
    assert "Following #1 Data Weekly: its 1 entries so far are known" in seen
    assert "Following #2 Eng Blog" in await chat.say(f"/feeds add {served.url}/atom", as_="hr")
    assert "followed already" in await chat.say(f"/feeds add {served.url}/rss", as_="hr")
    refused = await chat.say(f"/feeds add {served.url}/page", as_="hr")
    assert "I couldn't read a feed there" in refused and "Nothing was added" in refused
    assert "0 new drafts to review." in await chat.say("/feeds check", as_="hr")

    served.rss.append((2, "Remote work, a year on"))
    served.atom.insert(0, (2, "Our new data platform"))
    seen = await chat.say("/feeds check", as_="hr")
    assert "2 new drafts to review" in seen and "Remote work, a year on" in seen
    assert "0 new drafts" in await chat.say("/feeds check", as_="hr")  # once
    async with chat.app.db.session() as session:
        items = list(await session.exec(select(ContentItem).order_by(col(ContentItem.id))))
        titles = [t.title for t in await session.exec(select(TitleVariant))]
    assert [(i.kind, i.status, i.link_url, i.body) for i in items] == [
        ("industry_news", "pending_approval", "https://news.example/2", "Story 2 & more"),
        ("industry_news", "pending_approval", "https://eng.example/2", "Post 2"),
    ]
    assert titles == ["Remote work, a year on", "Our new data platform"]
    assert f"Content #{items[0].id} approved" in await chat.say(f"/approve {items[0].id}", as_="hr")
    assert "Data Weekly" in await chat.say("/feeds", as_="hr")
    assert "Stopped following #2" in await chat.say("/feeds remove 2", as_="hr")
    served.atom.insert(0, (3, "Unread"))
    assert "0 new drafts" in await chat.say("/feeds check", as_="hr")
    assert "only for the hr team" in await chat.say("/feeds", as_="ana")


async def test_removing_naming_and_unreadable_feeds_are_answered_plainly(
    chat: Chat, served: Feeds
) -> None:
    await chat.say(f"/feeds add {served.url}/rss", f"/feeds add {served.url}/atom", as_="hr")
    assert "Stopped following #1" in await chat.say("/feeds remove 1", as_="hr")
    again = await chat.say("/feeds remove 1", as_="hr")
    assert "there is no feed 1 followed now" in again
    listed = await chat.say("/feeds", as_="hr")
    assert "#2 Eng Blog" in listed and "removed:" not in listed and "Data Weekly" not in listed
    assert "Following #1 Data Weekly" in await chat.say(f"/feeds add {served.url}/rss", as_="hr")
    seen = await chat.say("/feeds remove", as_="hr")
    assert "feed is missing" in seen and "There is no feed ." not in seen
    seen = await chat.say(f"/feeds add {served.url}/huge", as_="hr")
    assert "larger than a feed can be (5 MB)" in seen
    seen = await chat.say("/feeds add http://127.0.0.1:9/rss", as_="hr")
    assert "the address could not be reached" in seen and "Errno" not in seen
