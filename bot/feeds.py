"""RSS and Atom feeds, fetched over HTTP and read by feedparser (every dialect of both): what
HR follows for industry news."""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass

import aiohttp
import feedparser


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
    """A feed could not be read: unreachable, refused, or not a feed."""


async def read_feed(http: aiohttp.ClientSession, url: str) -> ReadFeed:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=20)) as reply:
            if reply.status != 200:
                raise FeedError(f"{url} answered {reply.status}")
            data = await reply.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise FeedError(f"{url}: {exc}") from exc
    parsed = await asyncio.to_thread(feedparser.parse, data)  # parsing is CPU: off the loop
    if not parsed.get("version"):  # feedparser names the dialect it recognised, if any
        raise FeedError(f"{url} is not an RSS or Atom feed")
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
