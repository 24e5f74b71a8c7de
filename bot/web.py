"""Roost's own web server: `/healthz`, the routes features declare (tracked links, articles,
landing pages, the ATS's calls), the dashboard, and the platforms' webhooks. It knows no
feature: it mounts what the routers declare, each handler given the `Site`."""

from __future__ import annotations

import errno
import logging
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.dashboard import Dashboard
from bot.pages import Site, WebRoute

log = logging.getLogger("roost.web")


class PortInUse(Exception):
    """The configured host and port cannot be listened on; said in one line, not a traceback."""

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


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@web.middleware
async def plain_addresses(request: web.Request, handler: Any) -> web.StreamResponse:
    """An address with a control character in its path or query (`/i/%00`) is none Roost
    serves: refused before a handler reads it (PostgreSQL refuses NUL in text)."""
    if CONTROL.search(request.path) or any(CONTROL.search(k + v) for k, v in request.query.items()):
        return web.Response(status=400, text="This address is not valid.")
    response: web.StreamResponse = await handler(request)
    return response


class WebServer:
    def __init__(
        self,
        site: Site,
        routes: Sequence[WebRoute],
        dashboard: Dashboard,
        platforms: Callable[[], list[str]],
    ) -> None:
        self.settings, self.platforms, self.dashboard = site.settings.web, platforms, dashboard
        self.app = web.Application(middlewares=[plain_addresses])
        self.app.router.add_get("/healthz", self.health)
        for route in routes:

            async def serve(request: web.Request, route: WebRoute = route) -> web.StreamResponse:
                return await route.handler(request, site)

            self.app.router.add_route(route.method, route.path, serve)
        dashboard.mount(self.app)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "platforms": self.platforms()})

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
