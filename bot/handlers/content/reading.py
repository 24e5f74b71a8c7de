"""Members reading content: Read opens a push page by page (the open), the last page or Done
finishes it (the finish); the same article on a web page, whose end reports the finish."""

from __future__ import annotations

import html
from dataclasses import dataclass

from aiohttp import web

from bot.context import Context
from bot.events import ActionPressed
from bot.messages import Message, Style
from bot.pages import Site, WebRoute
from bot.payloads import Payload
from storage.content import delivered_item, record, variants
from storage.models import ContentItem, Delivery
from storage.models.states import Fact


def pages(body: str, size: int) -> list[str]:
    """Paragraph-sized pages of at most `size` characters."""
    found: list[str] = []
    current = ""
    for paragraph in body.split("\n\n"):
        while len(paragraph) > size:
            found, current = [*found, current] if current else found, ""
            found.append(paragraph[:size])
            paragraph = paragraph[size:]
        if current and len(current) + 2 + len(paragraph) > size:
            found.append(current)
            current = paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    return [*found, current] if current else found or [""]


@dataclass(frozen=True, slots=True)
class Read(Payload, action="content.read"):
    token: str  # the delivery's


@dataclass(frozen=True, slots=True)
class Turn(Payload, action="content.page"):
    token: str
    page: int


@dataclass(frozen=True, slots=True)
class Done(Payload, action="content.done"):
    token: str


async def _delivery(ctx: Context[ActionPressed], token: str) -> tuple[Delivery, ContentItem] | None:
    found = await delivered_item(ctx.session, token)
    if found is None:
        ctx.reply("That article is no longer available.")
    return found


async def _fact(ctx: Context[ActionPressed], kind: str, row: Delivery, item: ContentItem) -> None:
    """The member opened or finished this item, through the title variant they were sent."""
    await record(
        ctx.session, ctx.member.id, kind, item.id or 0, row.variant_id, ctx.platform, ctx.now
    )


async def read(ctx: Context[ActionPressed]) -> None:
    found = await _delivery(ctx, Read.of(ctx).token)
    if found is not None:
        row, item = found
        await _fact(ctx, Fact.OPENED, row, item)
        await _page(ctx, row, item, 0)


async def turn(ctx: Context[ActionPressed]) -> None:
    turn = Turn.of(ctx)
    found = await _delivery(ctx, turn.token)
    if found is not None:
        await _page(ctx, found[0], found[1], turn.page, turning=True)


async def done(ctx: Context[ActionPressed]) -> None:
    found = await _delivery(ctx, Done.of(ctx).token)
    if found is not None:
        row, item = found
        await _fact(ctx, Fact.FINISHED, row, item)
        ctx.dm("Thanks for reading!")


async def _page(
    ctx: Context[ActionPressed],
    row: Delivery,
    item: ContentItem,
    number: int,
    *,
    turning: bool = False,
) -> None:
    """A page of the body; turning a page replaces the one before where the platform edits
    messages in place (Telegram), so a long article stays one message."""
    texts = pages(item.body, ctx.settings.content.page_chars)
    number = min(number, len(texts) - 1)
    last = number == len(texts) - 1
    if last and len(texts) > 1:  # reaching the last page is finishing
        await _fact(ctx, Fact.FINISHED, row, item)
    buttons = (
        (Done(row.token or "").button("Done", Style.PRIMARY),)
        if last and len(texts) == 1
        else ()
        if last
        else (Turn(row.token or "", number + 1).button("Next page"),)
    )
    footer = f"\n\n_{number + 1}/{len(texts)}_" if len(texts) > 1 else ""
    page = Message(body=texts[number] + footer, buttons=buttons)
    if turning and ctx.in_dm:
        ctx.replace(page)
    else:
        ctx.dm(page)


# -- the article on the web ---------------------------------------------------------------


async def article(request: web.Request, site: Site) -> web.Response:
    """The whole article on a page; reaching its end reports the finish."""
    async with site.db.session() as session:
        found = await delivered_item(session, request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound(text="This article is no longer available.")
        row, item = found
        await record(session, row.member_id, Fact.OPENED, item.id or 0, row.variant_id,
                     row.platform, site.clock.now(), once=row.member_id is not None)  # fmt: skip
        titles = await variants(session, item.id or 0)
        await session.commit()
    title = next(
        (t.title for t in titles if t.id == row.variant_id), titles[0].title if titles else ""
    )
    page = ARTICLE.format(
        title=html.escape(title), token=html.escape(row.token or ""), body=_paragraphs(item.body)
    )
    return web.Response(text=page, content_type="text/html")


async def finished(request: web.Request, site: Site) -> web.Response:
    async with site.db.session() as session:
        found = await delivered_item(session, request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound()
        row, item = found
        await record(session, row.member_id, Fact.FINISHED, item.id or 0, row.variant_id,
                     row.platform, site.clock.now(), once=row.member_id is not None)  # fmt: skip
        await session.commit()
    return web.Response(status=204)


def _paragraphs(body: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in body.split("\n\n") if part.strip())


ARTICLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font:18px/1.6 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
</style>
</head><body><article><h1>{title}</h1>{body}</article>
<p id="end" aria-hidden="true"></p>
<script>
new IntersectionObserver((seen, watcher) => {{
  if (seen.some(e => e.isIntersecting)) {{
    fetch("/a/{token}/finished", {{method: "POST"}}); watcher.disconnect();
  }}
}}).observe(document.getElementById("end"));
</script></body></html>"""

ROUTES = (
    WebRoute("GET", "/a/{token}", article),
    WebRoute("POST", "/a/{token}/finished", finished),
)
