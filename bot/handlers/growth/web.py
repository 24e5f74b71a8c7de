"""Invite codes on the web: a code's landing link (posters, letters, QR codes) counts the
visit and sends the visitor on to a platform's way in; the dashboard shows each code's QR."""

from __future__ import annotations

import html

from aiohttp import web

from bot.pages import Page, Site, Visit, WebRoute
from bot.pictures import qr_png
from storage.growth import visit
from storage.models import InviteCode
from storage.types import row_id

LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Join the community</title></head>
<body style="font:18px/1.6 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em">
<h1>Join the community</h1><p>{how}</p></body></html>"""


async def landing(request: web.Request, site: Site) -> web.Response:
    code, platform = request.match_info["code"], request.match_info.get("platform")
    async with site.db.session() as session:
        where = await visit(session, code, platform, site.clock.now())
        await session.commit()
    if where is None:
        raise web.HTTPNotFound(text="This invite code is not valid.")
    if where.startswith(("https://", "http://")):
        raise web.HTTPFound(where)
    return web.Response(text=LANDING.format(how=html.escape(where)), content_type="text/html")


async def qr(request: web.Request, visit: Visit) -> web.StreamResponse:
    number = row_id(request.match_info["id"])
    code = await visit.session.get(InviteCode, number) if number else None
    if code is None:
        raise web.HTTPNotFound(text="No such code.")
    landing_url = f"{visit.settings.web.public_url.rstrip('/')}/i/{code.code}"
    return web.Response(body=await qr_png(landing_url), content_type="image/png")


ROUTES = (
    WebRoute("GET", "/i/{code}", landing),
    WebRoute("GET", "/i/{code}/{platform}", landing),
)
PAGES = (Page("codes/{id}/qr.png", "code.qr", qr),)
