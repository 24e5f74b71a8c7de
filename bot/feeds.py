"""RSS and Atom feeds, fetched over HTTP and read by feedparser (every dialect of both): what
HR follows for industry news."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass

import aiohttp
import feedparser

from bot.streams import read_at_most


@dataclass(frozen=True, slots=True)
class FeedItem:
    key: str  # the entry's id, else its link, else its title: how it is known again
    title: str
    summary: str  # plain text
    link: str | None


@dataclass(frozen=True, slots=True)
class ReadFeed:
    title: str
    items: tuple[FeedItem, ...]


class FeedError(Exception):
    """A feed could not be read: unreachable, refused, too large, or not a feed. Its message
    is Roost's own sentence for HR, never a library's text."""


LARGEST = 5 * 1024 * 1024  # bytes: a feed is a few hundred kilobytes at most
WAIT = 20.0  # seconds for the whole read


async def read_feed(http: aiohttp.ClientSession, url: str) -> ReadFeed:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=WAIT)) as reply:
            if reply.status != 200:
                raise FeedError(f"the address answered with HTTP status {reply.status}")
            if (reply.content_length or 0) > LARGEST:
                raise FeedError(f"it is larger than a feed can be ({LARGEST // 2**20} MB)")
            data = await read_at_most(reply.content, LARGEST)
            if data is None:
                raise FeedError(f"it is larger than a feed can be ({LARGEST // 2**20} MB)")
    except TimeoutError as exc:
        raise FeedError(f"it did not answer within {WAIT:.0f} seconds") from exc
    except aiohttp.ClientError as exc:
        raise FeedError("the address could not be reached") from exc
    parsed = await asyncio.to_thread(feedparser.parse, data)  # parsing is CPU: off the loop
    if not parsed.get("version"):  # feedparser names the dialect it recognised, if any
        raise FeedError("what it serves is not an RSS or Atom feed")
    items = []
    for entry in parsed.entries:
        title = _text(entry.get("title", "")) or "(untitled)"
        link = entry.get("link") or None
        key = entry.get("id") or link or title
        items.append(FeedItem(key, title, _text(entry.get("summary", ""))[:3000], link))
    return ReadFeed(_text(parsed.feed.get("title", "")) or url, tuple(items))


def _text(markup: str) -> str:
    """Plain text from a feed's HTML fragment."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
