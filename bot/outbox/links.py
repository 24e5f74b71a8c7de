"""Tracked links: `/r/TOKEN` in a delivered message, followed. The row's campaign kind says
where it leads (a content item's source, a job's application page) and records the click;
a token of anything else is no link."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from sqlmodel import select

from bot.kinds import CampaignKind
from bot.pages import Site, WebRoute
from bot.parsing import web_link
from storage.models import Campaign, Delivery


def tracked_links(kinds: Mapping[str, CampaignKind]) -> WebRoute:
    async def follow(request: web.Request, site: Site) -> web.StreamResponse:
        token = request.match_info["token"]
        async with site.db.session() as session:
            row = (await session.exec(select(Delivery).where(Delivery.token == token))).first()
            run = await session.get(Campaign, row.campaign_id) if row is not None else None
            kind = kinds.get(run.kind) if run is not None else None
            leads = None
            if row is not None and run is not None and kind is not None and kind.followed:
                leads = await kind.followed(session, row, run, site.clock.now())
            await session.commit()
        if leads is None or not web_link(leads):
            raise web.HTTPNotFound(text="This link is no longer available.")
        raise web.HTTPFound(leads)

    return WebRoute("GET", "/r/{token}", follow)
