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
from bot.parsing import ident, web_link
from bot.router import Arg, Command, Role, Router, UsageError
from bot.settings import Settings
from storage.feeds import draft, feed_at, feeds, remember, seen_keys
from storage.models import ContentItem, Feed

log = logging.getLogger("roost.feeds")
ADDRESS = 500  # characters of a feed's address


async def listing(ctx: Context[CommandInvoked]) -> None:
    followed = await feeds(ctx.session)
    lines = [f"#{f.id} {f.title or f.url} ({f.url})" for f in followed]
    ctx.reply(
        Message(
            title="Feeds",
            body="\n".join(lines) or f"None yet: `{ctx.cmd('feeds', 'add https://…')}`",
        )
    )


async def check(ctx: Context[CommandInvoked]) -> None:
    found = await check_all(ctx.session, ctx.now)
    lines = [f"#{item.id} {title}" for item, title in found]
    ctx.reply(
        f"{len(lines)} new draft{'s' if len(lines) != 1 else ''} to review"
        + (":\n" + "\n".join(lines) if lines else ".")
        + (f"\n`{ctx.cmd('approve', str(found[0][0].id))}` approves one." if found else "")
    )


async def add(ctx: Context[CommandInvoked]) -> None:
    url = ctx.args["address"]
    if not web_link(url) or len(url) > ADDRESS:
        raise UsageError(f"give the feed's address, https://… (at most {ADDRESS} characters)")
    known = await feed_at(ctx.session, url)
    if known is not None and known.removed_at is None:
        ctx.reply("That feed is followed already.")
        return
    try:
        async with aiohttp.ClientSession() as http:
            read = await read_feed(http, url)
    except FeedError as exc:
        ctx.refuse(f"I couldn't read a feed there: {exc}. Nothing was added.")
        return
    if known is not None:  # followed before, removed, and now again
        feed, known.removed_at, known.title = known, None, read.title[:200]
    else:
        feed = Feed(url=url, title=read.title[:200], added_by_member_id=ctx.member.id,
                    created_at=ctx.now)  # fmt: skip
        ctx.session.add(feed)
        await ctx.session.flush()
    seen = await seen_keys(ctx.session, feed.id or 0)
    await remember(
        ctx.session, feed, [i.key for i in read.items if i.key[:500] not in seen], ctx.now
    )
    ctx.audit("feeds.add", feed=feed.id)
    ctx.reply(
        f"Following #{feed.id} {feed.title}: its {len(read.items)} entries so far are known; "
        "each new one becomes a draft to review."
    )


async def remove(ctx: Context[CommandInvoked]) -> None:
    ref = ctx.args["feed"]
    followed = {f.id: f for f in await feeds(ctx.session)}
    feed = followed.get(ident(ref) or 0)
    if feed is None:
        raise UsageError(f"there is no feed {ref[:20]} followed now; {ctx.cmd('feeds')} lists them")
    feed.removed_at = ctx.now  # its drafts stay; it is read no more
    ctx.reply(f"Stopped following #{feed.id} {feed.title}.")


async def check_all(session: Any, now: datetime) -> list[tuple[ContentItem, str]]:
    """Every followed feed read once; each entry not seen before made a draft."""
    made: list[tuple[ContentItem, str]] = []
    async with aiohttp.ClientSession() as http:
        for feed in await feeds(session):
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
            listing,
            "Industry news feeds (RSS, Atom) HR follows: new entries become drafts to review.",
            role=Role.HR,
            subcommands=(
                Command(
                    "add",
                    add,
                    "Follow a feed.",
                    args=(Arg("address", "https://…"),),
                    role=Role.HR,
                    example="https://example.com/rss",
                ),
                Command(
                    "remove",
                    remove,
                    "Stop following a feed (its drafts stay).",
                    args=(Arg("feed", "its number"),),
                    role=Role.HR,
                    example="2",
                ),
                Command("check", check, "Read every feed now.", role=Role.HR),
                Command("list", listing, "The feeds followed.", role=Role.HR),
            ),
        ),
    ),
    duties=(Duty("feeds", daily, hour=7),),
)
