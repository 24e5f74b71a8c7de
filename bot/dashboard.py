"""The HR dashboard on Roost's own web server: signed in from a link `/dashboard` DMs, pages
rendered on the server (no JavaScript, nothing from a CDN), every request checked again: a
live session, a member who still holds HR (or admin) by the current `[roles]`, a CSRF token on
every POST, and an audit entry like any HR command.

This is the frame only: the pages are the ones features declare (`Page`), and each tab
of reports shows the sheets features declare (`Report`), each also offered as CSV."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.clock import Clock
from bot.events import User
from bot.kinds import CampaignKind
from bot.pages import Page, Tab, Visit
from bot.reports import Query, Report, as_csv, as_svg, read_options
from bot.roles import role_of
from bot.router import Role, UsageError
from bot.settings import Settings
from storage import dashboard as sessions
from storage.db import Database
from storage.models import AuditEntry

COOKIE = "roost_session"
SESSION_TTL = timedelta(hours=8)
Handler = Callable[[web.Request, Visit], Awaitable[web.StreamResponse]]


class Dashboard:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        pages: Sequence[Page],
        reports: Sequence[Report],
        kinds: Mapping[str, CampaignKind],
    ) -> None:
        self.settings, self.db, self.clock, self.kinds = settings, db, clock, kinds
        self.pages, self.reports = pages, reports
        found = {p.tab.slug: p.tab for p in pages if p.tab} | {r.tab.slug: r.tab for r in reports}
        self.tabs = sorted(found.values(), key=lambda tab: tab.order)

    def mount(self, app: web.Application) -> None:
        aiohttp_jinja2.setup(
            app,
            loader=jinja2.PackageLoader("bot", "templates"),
            autoescape=True,
            filters={"plain": plain},
        )
        app.router.add_get("/dashboard/signin", self.sign_in)
        app.router.add_post("/dashboard/signout", self._guarded("signout", self.sign_out))
        for page in self.pages:
            path = "/dashboard" + (f"/{page.path}" if page.path else "")
            app.router.add_route(page.method, path, self._guarded(page.name, page.handler))
        served = {p.path for p in self.pages}
        for tab in self.tabs:
            shown = [r for r in self.reports if r.tab == tab]
            if shown and tab.slug not in served:
                app.router.add_get(
                    f"/dashboard/{tab.slug}", self._guarded(tab.slug, self.tab(tab, shown))
                )
        app.router.add_get("/dashboard/reports/{name}.csv", self._guarded("report.csv", self.csv))

    # -- signing in, and the guard every page passes ------------------------------------------

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        now = self.clock.now()
        async with self.db.session() as db:
            made = await sessions.sign_in(db, request.query.get("token", ""), now, SESSION_TTL)
            await db.commit()
        if made is None:
            return refused(request, 401, "This sign-in link is used or expired.")
        token, _ = made
        response = web.HTTPSeeOther("/dashboard")
        secure = self.settings.web.public_url.startswith("https://")
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/dashboard",
            max_age=int(SESSION_TTL.total_seconds()),
        )  # fmt: skip
        raise response

    def _guarded(self, name: str, page: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            now = self.clock.now()
            async with self.db.session() as db:
                found = await sessions.current(db, request.cookies.get(COOKIE), now)
                if found is None:
                    return refused(request, 401, "Sign in from chat: send /dashboard to Roost.")
                row, member, accounts = found
                role = max(
                    (
                        role_of(
                            self.settings.roles,
                            User(a.platform, a.platform_user_id,
                                 platform_roles=frozenset(a.platform_roles)),
                        )
                        for a in accounts
                    ),
                    default=Role.MEMBER,
                )  # fmt: skip
                if role < Role.HR:
                    await sessions.revoke(db, member.id or 0, now)
                    await db.commit()
                    return refused(request, 403, "The dashboard is for the HR team.")
                if request.method == "POST":
                    form = await request.post()
                    if form.get("csrf") != row.csrf:
                        return refused(request, 403, "This form has expired; reload the page.")
                db.add(AuditEntry(actor_member_id=member.id, action=f"dashboard.{name}",
                                  platform="web", at=now))  # fmt: skip

                def render(template: str, **context: Any) -> web.Response:
                    context |= {"community": self.settings.community.name, "csrf": row.csrf,
                                "tabs": self.tabs}  # fmt: skip
                    return aiohttp_jinja2.render_template(template, request, context)

                visit = Visit(db, member, self.settings, now, render)
                try:
                    response = await page(request, visit)
                except web.HTTPRedirection:  # done, and on to another page
                    await db.commit()
                    raise
                await db.commit()
                return response

        return guarded

    async def sign_out(self, _request: web.Request, visit: Visit) -> web.StreamResponse:
        await sessions.revoke(visit.session, visit.member.id or 0, visit.now)
        await visit.session.commit()
        response = web.HTTPSeeOther("/dashboard/signin")
        response.del_cookie(COOKIE, path="/dashboard")
        raise response

    # -- tabs of reports -----------------------------------------------------------------------

    def tab(self, tab: Tab, reports: Sequence[Report]) -> Handler:
        """A tab's reports, narrowed by the options given (each takes those it knows)."""
        asked = list(dict.fromkeys(key for r in reports for key in r.options))

        async def page(request: web.Request, visit: Visit) -> web.StreamResponse:
            sections, errors = [], []
            for report in reports:
                try:
                    options = read_options(dict(request.query), report.options)
                    sheet = await report.build(self._query(visit, options))
                except UsageError as exc:
                    errors.append(f"{report.name}: {exc}.")
                    continue
                chart = await as_svg(sheet.chart) if sheet.chart and sheet.rows else ""
                csv = f"/dashboard/reports/{report.name}.csv"
                sections.append(
                    (sheet, chart, csv + (f"?{request.query_string}" * bool(request.query_string)))
                )
            form = [(key, key.replace("_", " "), request.query.get(key, "")[:40]) for key in asked]
            response = visit.render("report.html", title=tab.label, form=form,
                                    sections=sections, errors=errors)  # fmt: skip
            response.set_status(400 if errors else 200)
            return response

        return page

    async def csv(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        name = request.match_info["name"]
        report = next((r for r in self.reports if r.name == name), None)
        if report is None:
            raise web.HTTPNotFound(text="No such report.")
        try:
            sheet = await report.build(
                self._query(visit, read_options(dict(request.query), report.options))
            )
        except UsageError as exc:
            raise web.HTTPBadRequest(text=f"Hmm, {exc}.") from None
        return web.Response(
            body=as_csv(sheet),
            headers={"Content-Type": "text/csv; charset=utf-8",
                     "Content-Disposition": f'attachment; filename="{name}.csv"'},
        )  # fmt: skip

    def _query(self, visit: Visit, options: dict[str, str]) -> Query:
        return Query(visit.session, self.settings, visit.now, options, self.kinds)


def refused(request: web.Request, status: int, reason: str) -> web.Response:
    title = "Not signed in" if status == 401 else "Refused"
    context = {"title": title, "reason": reason}
    return aiohttp_jinja2.render_template("refused.html", request, context, status=status)


def plain(text: str) -> str:
    """A note without its chat emphasis (`**bold**`, `_italic_`): a page's table says enough."""
    return re.sub(r"\*\*(.+?)\*\*|(?<!\w)_(.+?)_(?!\w)", lambda m: m.group(1) or m.group(2), text)
