"""Roost's own HTTP server: health now; platform webhooks, tracked links and landing pages
mount here as their features arrive."""

from __future__ import annotations

import errno
import hmac
import html
import json
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.clock import Clock
from bot.dashboard import Dashboard
from bot.parsing import web_link
from bot.settings import Settings
from bot.streams import read_at_most
from storage.content import delivered_item, record, variants
from storage.db import Database
from storage.growth import visit
from storage.models import ContentItem, Delivery
from storage.models.states import Fact
from storage.pipeline import PROGRESS, advance, click, find_invitation

log = logging.getLogger("roost.web")


class PortInUse(Exception):
    """The web server cannot listen where [web] says: one clear line, not a traceback."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        reason = "the port is in use" if cause.errno == errno.EADDRINUSE else cause.strerror
        super().__init__(f"cannot listen on {host}:{port} ([web] host and port): {reason}")


class QuietBadRequests(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, where a request malformed before it reaches Roost (a 10 kB
    address, a broken header) is one line at INFO, not an ERROR with a traceback: it is the
    visitor's mistake, and aiohttp has already answered 400."""

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        problem = kwargs.get("exc_info") or sys.exc_info()[1]
        if isinstance(problem, HttpProcessingError):
            self.info("refused a malformed request (%s)", type(problem).__name__)
        else:
            self.error(msg, *args, exc_info=problem or True)


class WebServer:
    """Roost's HTTP side: what members' links reach and what an ATS reports, given only what
    it reads (the database, the clock, the settings, which platforms run)."""

    def __init__(
        self, settings: Settings, db: Database, clock: Clock, platforms: Callable[[], list[str]]
    ) -> None:
        self.settings, self.ats_token = settings.web, settings.pipeline.ats_token
        self.db, self.clock, self.platforms = db, clock, platforms
        self.app = web.Application(middlewares=[plain_addresses])
        self.app.router.add_get("/healthz", self.health)
        self.app.router.add_get("/r/{token}", self.tracked_link)
        self.app.router.add_get("/a/{token}", self.article)
        self.app.router.add_post("/a/{token}/finished", self.finished)
        self.app.router.add_get("/i/{code}", self.landing)
        self.app.router.add_get("/i/{code}/{platform}", self.landing)
        self.app.router.add_post("/api/applications", self.application)
        self.dashboard = Dashboard(settings, db, clock)
        self.dashboard.mount(self.app)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "platforms": self.platforms()})

    async def _found(self, token: str) -> tuple[Delivery, ContentItem] | None:
        async with self.db.session() as session:
            return await delivered_item(session, token)

    async def _record(self, row: Delivery, item: ContentItem, kinds: tuple[str, ...]) -> None:
        async with self.db.session() as session:
            for kind in kinds:
                await record(
                    session,
                    row.member_id,
                    kind,
                    item.id or 0,
                    row.variant_id,
                    row.platform,
                    self.clock.now(),
                    once=row.member_id is not None,
                )
            await session.commit()

    async def tracked_link(self, request: web.Request) -> web.Response:
        """Counts the click (and the open) before sending the reader on to the source, or the
        candidate on to the job's application page."""
        token = request.match_info["token"]
        async with self.db.session() as session:
            applying = await click(session, token, self.clock.now())
            await session.commit()
        if applying is not None and web_link(applying):
            raise web.HTTPFound(applying)
        found = await self._found(token)
        if found is None or not found[1].link_url or not web_link(found[1].link_url):
            raise web.HTTPNotFound(text="This link is no longer available.")
        await self._record(*found, (Fact.CLICKED, Fact.OPENED))
        raise web.HTTPFound(found[1].link_url)

    async def article(self, request: web.Request) -> web.Response:
        """The whole article on a page; reaching its end reports the finish."""
        found = await self._found(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound(text="This article is no longer available.")
        row, item = found
        await self._record(row, item, (Fact.OPENED,))
        async with self.db.session() as session:
            titles = await variants(session, item.id or 0)
        title = next(
            (t.title for t in titles if t.id == row.variant_id), titles[0].title if titles else ""
        )
        return web.Response(
            text=ARTICLE.format(
                title=html.escape(title),
                token=html.escape(row.token or ""),
                body=_paragraphs(item.body),
            ),
            content_type="text/html",
        )

    async def finished(self, request: web.Request) -> web.Response:
        found = await self._found(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound()
        await self._record(*found, (Fact.FINISHED,))
        return web.Response(status=204)

    async def landing(self, request: web.Request) -> web.Response:
        """An invite code's landing link (posters, letters, QR codes): counts the visit, then
        sends the visitor on to a platform's way in."""
        code, platform = request.match_info["code"], request.match_info.get("platform")
        async with self.db.session() as session:
            where = await visit(session, code, platform, self.clock.now())
            await session.commit()
        if where is None:
            raise web.HTTPNotFound(text="This invite code is not valid.")
        if where.startswith(("https://", "http://")):
            raise web.HTTPFound(where)
        return web.Response(text=LANDING.format(how=html.escape(where)), content_type="text/html")

    async def application(self, request: web.Request) -> web.Response:
        """The applicant tracking system reports a candidate's progress."""
        token = self.ats_token
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {token.get_secret_value()}" if token else None
        if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
            return _api_error(401, "invalid token")
        body = await _json(request)
        if not isinstance(body, dict) or body.get("status") not in PROGRESS:
            return _api_error(
                400,
                f"send JSON with status ({', '.join(PROGRESS)}) and ref, or job_id and member_id",
            )
        async with self.db.session() as session:
            invitation = await find_invitation(
                session, body.get("ref"), body.get("job_id"), body.get("member_id")
            )
            if invitation is None:
                return _api_error(404, "no invitation matches")
            changed = advance(invitation, body["status"], self.clock.now())
            await session.commit()
            return web.json_response(
                {
                    "ok": True,
                    "invitation": invitation.id,
                    "status": invitation.status,
                    "changed": changed,
                }
            )

    async def start(self) -> None:
        if not self.settings.enabled:
            return
        self._runner = web.AppRunner(self.app, access_log=None, logger=QuietBadRequests(log))
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise PortInUse(self.settings.host, self.settings.port, exc) from None
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("HTTP server on http://%s:%s (GET /healthz)", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


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


LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Join the community</title></head>
<body style="font:18px/1.6 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em">
<h1>Join the community</h1><p>{how}</p></body></html>"""


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@web.middleware
async def plain_addresses(request: web.Request, handler: Any) -> web.StreamResponse:
    """An address with a control character in its path or query (`/i/%00`) is none Roost
    serves: refused before a handler reads it (PostgreSQL refuses NUL in text)."""
    if CONTROL.search(request.path) or any(CONTROL.search(k + v) for k, v in request.query.items()):
        return web.Response(status=400, text="This address is not valid.")
    response: web.StreamResponse = await handler(request)
    return response


API_BODY = 64 * 1024  # bytes: an application's progress is a few hundred


async def _json(request: web.Request) -> object:
    """The request's JSON body, or None when it is too large, not JSON, or nested deeper
    than Python parses (a bomb of brackets is a bad request, not a crash)."""
    if request.content_length is not None and request.content_length > API_BODY:
        return None
    raw = await read_at_most(request.content, API_BODY)
    if raw is None:
        return None
    if b"\\u0000" in raw:  # NUL: no text Roost keeps has one (and PostgreSQL refuses it)
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _api_error(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def _paragraphs(body: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in body.split("\n\n") if part.strip())
