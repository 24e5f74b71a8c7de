"""What a feature declares for the web, as it declares commands: public routes (`WebRoute`: a
tracked link, a landing page, the ATS's calls) and dashboard pages (`Page`: HR's, signed
in), each handler given one object with what it may use. The web server and the dashboard
mount what the routers declare and know no feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web

from bot.clock import Clock
from bot.settings import Settings
from storage.db import Database, Session

if TYPE_CHECKING:
    from storage.models import Member


@dataclass(frozen=True, slots=True)
class Site:
    """What a public route's handler is given: the store, the clock, the settings."""

    db: Database
    clock: Clock
    settings: Settings

    def public(self, path: str) -> str:
        """An address on Roost's public web server."""
        return f"{self.settings.web.public_url.rstrip('/')}{path}"


@dataclass(frozen=True, slots=True)
class WebRoute:
    method: str
    path: str
    handler: Callable[[web.Request, Site], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Tab:
    """A dashboard tab, `/dashboard/SLUG`: the page of that path, or the reports that name it."""

    slug: str
    label: str
    order: int = 50


@dataclass(frozen=True, slots=True)
class Visit:
    """One signed-in request to the dashboard: the database session (committed after the
    page, with the audit entry the visit already made), who is looking, now, and the page
    renderer (`render(template, title=…, **context)`)."""

    session: Session
    member: Member
    settings: Settings
    now: datetime
    render: Callable[..., web.Response]


@dataclass(frozen=True, slots=True)
class Page:
    """A dashboard page at `/dashboard/PATH` (`""` is the overview), audited as
    `dashboard.NAME`; `tab` puts it in the header."""

    path: str
    name: str
    handler: Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]
    tab: Tab | None = None
    method: str = "GET"
