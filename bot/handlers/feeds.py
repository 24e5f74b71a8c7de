"""Industry news from the feeds HR follows (`/feeds`): each new entry becomes a draft to review
(`/approve`), preview and schedule like any other content, with its source link."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import aiohttp

from bot.context import Context
from bot.events import CommandInvoked
from bot.feeds import FeedError, read_feed
from bot.kinds import Duty, Signal
from bot.messages import Message
from bot.parsing import ident
from bot.router import Arg, Command, Role, Router
from bot.settings import Settings
from storage.feeds import draft, feed_at, feeds, remember, seen_keys
from storage.models import ContentItem, Feed

log = logging.getLogger("roost.feeds")


async def feeds_command(ctx: Context[CommandInvoked]) -> None:
    action, rest = ctx.args.get("action"), ctx.args.get("argument", "").strip()
    if action == "add":
        await _add(ctx, rest)
    elif action == "remove":
        await _remove(ctx, rest)
    elif action == "check":
        found = await check_all(ctx.session, ctx.now)
        lines = [f"#{item.id} {title}" for item, title in found]
        ctx.reply(
            f"{len(lines)} new draft{'s' if len(lines) != 1 else ''} to review"
            + (":\n" + "\n".join(lines) if lines else ".")
            + (f"\n`{ctx.cmd('approve', str(found[0][0].id))}` approves one." if found else "")
        )
    else:
        followed = await feeds(ctx.session)
        lines = [f"#{f.id} {f.title or f.url} ({f.url})" for f in followed]
        ctx.reply(
            Message(
                title="Feeds",
                body="\n".join(lines) or f"None yet: `{ctx.cmd('feeds', 'add https://…')}`",
            )
        )


async def _add(ctx: Context[CommandInvoked], url: str) -> None:
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        ctx.reply(f"Give the feed's address: `{ctx.cmd('feeds', 'add https://example.com/rss')}`")
        return
    if await feed_at(ctx.session, url) is not None:
        ctx.reply("That feed is followed already.")
        return
    try:
        async with aiohttp.ClientSession() as http:
            read = await read_feed(http, url)
    except FeedError as exc:
        ctx.reply(f"I couldn't read a feed there ({exc}). Nothing was added.")
        return
    feed = Feed(
        url=url, title=read.title[:200], added_by_member_id=ctx.member.id, created_at=ctx.now
    )
    ctx.session.add(feed)
    await ctx.session.flush()
    await remember(ctx.session, feed, [i.key for i in read.items], ctx.now)
    ctx.audit("feeds.add", feed=feed.id)
    ctx.reply(
        f"Following #{feed.id} {feed.title}: its {len(read.items)} entries so far are known; "
        "each new one becomes a draft to review."
    )


async def _remove(ctx: Context[CommandInvoked], ref: str) -> None:
    followed = {f.id: f for f in await feeds(ctx.session)}
    feed = followed.get(ident(ref) or 0)
    if feed is None:
        ctx.reply(f"There is no feed {ref[:20]}. {ctx.cmd('feeds')} lists them.")
        return
    feed.url = f"removed:{feed.id}:{feed.url}"[:500]  # its drafts stay; it is read no more
    ctx.reply(f"Stopped following #{feed.id} {feed.title}.")


async def check_all(session: Any, now: datetime) -> list[tuple[ContentItem, str]]:
    """Every followed feed read once; each entry not seen before made a draft."""
    made: list[tuple[ContentItem, str]] = []
    async with aiohttp.ClientSession() as http:
        for feed in await feeds(session):
            if feed.url.startswith("removed:"):
                continue
            try:
                read = await read_feed(http, feed.url)
            except FeedError as exc:
                log.warning("feed #%s not read: %s", feed.id, exc)
                continue
            known = await seen_keys(session, feed.id or 0)
            for item in read.items:
                if item.key[:500] in known:
                    continue
                known.add(item.key[:500])
                made.append(
                    (await draft(session, feed, item.key, item.title, item.summary, item.link, now),
                     item.title)
                )  # fmt: skip
            feed.checked_at = now
    return made


async def daily(session: Any, now: datetime, _settings: Settings) -> list[Signal]:
    found = await check_all(session, now)
    if found:
        log.info("feeds: %d new drafts to review", len(found))
    return []


router = Router(
    "feeds",
    commands=(
        Command(
            "feeds",
            feeds_command,
            "Industry news feeds (RSS, Atom): list; add URL; remove N; check (now). New "
            "entries become drafts to review.",
            role=Role.HR,
            args=(
                Arg("action", choices=("list", "add", "remove", "check"), required=False),
                Arg("argument", "a feed's address or number", required=False, rest=True),
            ),
        ),
    ),
    duties=(Duty("feeds", daily, hour=7),),
)
