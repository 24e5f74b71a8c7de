"""Roost's own HTTP server: health now; platform webhooks, tracked links and landing pages
mount here as their features arrive."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.settings import WebSettings

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("roost.web")


class WebServer:
    def __init__(self, settings: WebSettings, app: App) -> None:
        self.settings = settings
        self.roost = app
        self.app = web.Application()
        self.app.router.add_get("/healthz", self.health)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def health(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "platforms": sorted(self.roost.adapters)})

    async def start(self) -> None:
        if not self.settings.enabled:
            return
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("HTTP server on http://%s:%s (GET /healthz)", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
