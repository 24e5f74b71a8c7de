"""The HR dashboard on Roost's own web server: signed in from a link `/dashboard` DMs, pages
rendered on the server (no JavaScript, nothing from a CDN), every request checked again: a
live session, a member who still holds HR (or admin) by the current `[roles]`, a CSRF token on
every POST, and an audit entry like any HR command."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import dashboard_reports as reports
from bot.clock import Clock
from bot.events import User
from bot.handlers.admin import CSV_COLUMNS, csv_row
from bot.naming import label_name
from bot.pictures import grouped_png, qr_png
from bot.roles import role_of
from bot.router import Role, UsageError
from bot.segments import parse_filter
from bot.settings import Settings
from storage import dashboard as sessions
from storage.db import Database
from storage.engagement import level
from storage.members import MemberFilter, accounts_of, labels, search, segment_members
from storage.models import AuditEntry, InviteCode, Label, Member
from storage.people import joins_of, latest_consents, timeline
from storage.pipeline import sources
from storage.types import row_id

COOKIE = "roost_session"
SESSION_TTL = timedelta(hours=8)
SORTS = (("active", "last active"), ("number", "member number"), ("engagement", "engagement"))
PAGE = 50
FUNNEL_FORM = (("job", "Job #"), ("source", "Source"), ("event", "Event #"))

Page = Callable[[web.Request, "Visit"], Awaitable[web.StreamResponse]]


class Visit:
    """Who is looking, for one request: their session, member row and database session."""

    def __init__(self, db_session: Any, row: Any, member: Member) -> None:
        self.session, self.row, self.member = db_session, row, member


class Dashboard:
    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self.settings, self.db, self.clock = settings, db, clock

    def mount(self, app: web.Application) -> None:
        aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("bot", "templates"), autoescape=True)
        app.router.add_get("/dashboard/signin", self.sign_in)
        for path, name, page in (
            ("/dashboard", "overview", self.overview),
            ("/dashboard/members", "members", self.members),
            ("/dashboard/members.csv", "members.csv", self.export),
            ("/dashboard/members/{id}", "member", self.member),
            ("/dashboard/content", "content", self.report("Content", self._content)),
            ("/dashboard/campaigns", "campaigns", self.report("Campaigns", self._campaigns)),
            ("/dashboard/funnel", "funnel", self.report("Funnel", self._funnel, FUNNEL_FORM)),
            ("/dashboard/codes", "codes", self.report("Invite codes", self._codes)),
            ("/dashboard/codes/{id}/qr.png", "code.qr", self.qr),
            ("/dashboard/activities", "activities", self.report("Activities", self._activities)),
        ):
            app.router.add_get(path, self._guarded(name, page))
        app.router.add_post("/dashboard/members/{id}/label", self._guarded("label", self.label))
        app.router.add_post("/dashboard/signout", self._guarded("signout", self.sign_out))

    # -- signing in, and the guard every page passes ------------------------------------------

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        now = self.clock.now()
        async with self.db.session() as db:
            made = await sessions.sign_in(db, request.query.get("token", ""), now, SESSION_TTL)
            await db.commit()
        if made is None:
            return _refused(request, 401, "This sign-in link is used or expired.")
        token, _ = made
        response = web.HTTPSeeOther("/dashboard")
        secure = self.settings.web.public_url.startswith("https://")
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="Lax", secure=secure, path="/dashboard",
            max_age=int(SESSION_TTL.total_seconds()),
        )  # fmt: skip
        raise response

    def _guarded(self, name: str, page: Page) -> Callable[[web.Request], Awaitable[Any]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            now = self.clock.now()
            async with self.db.session() as db:
                found = await sessions.current(db, request.cookies.get(COOKIE), now)
                if found is None:
                    return _refused(request, 401, "Sign in from chat: send /dashboard to Roost.")
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
                    return _refused(request, 403, "The dashboard is for the HR team.")
                if request.method == "POST":
                    form = await request.post()
                    if form.get("csrf") != row.csrf:
                        return _refused(request, 403, "This form has expired; reload the page.")
                db.add(
                    AuditEntry(
                        actor_member_id=member.id,
                        action=f"dashboard.{name}",
                        platform="web",
                        at=now,
                    )
                )
                try:
                    response = await page(request, Visit(db, row, member))
                except web.HTTPRedirection:  # done, and on to another page
                    await db.commit()
                    raise
                await db.commit()
                return response

        return guarded

    def _render(
        self, request: web.Request, visit: Visit, template: str, **context: Any
    ) -> web.Response:
        context |= {"community": self.settings.community.name, "csrf": visit.row.csrf}
        return aiohttp_jinja2.render_template(template, request, context)

    # -- pages ----------------------------------------------------------------------------------

    async def overview(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        now, db = self.clock.now(), visit.session
        total, _ = await search(db, MemberFilter(), now, limit=0)
        by_platform = await sessions.members_by_platform(db)
        rows = await sources(db, now - timedelta(days=self.settings.pipeline.active_days))
        chart = ""
        if rows:
            svg = await grouped_png(
                "Members by source",
                [r.source for r in rows],
                [("joined", [r.joined for r in rows]), ("active", [r.active for r in rows]),
                 ("invited", [r.invited for r in rows]), ("applied", [r.applied for r in rows])],
                svg=True,
            )  # fmt: skip
            chart = reports.inline(svg)
        weeks = await sessions.weekly(db, now)
        trend = await grouped_png(
            "Joins and leaves per week",
            [f"{start:%d %b}" for start, _, _ in reversed(weeks)],
            [("joined", [j for _, j, _ in reversed(weeks)]),
             ("left", [g for _, _, g in reversed(weeks)])],
            svg=True,
        )  # fmt: skip
        ahead = [
            (c.id, c.kind.replace("_", " "), f"#{c.subject_id}",
             c.recurrence or (f"{c.scheduled_at:%Y-%m-%d %H:%M}" if c.scheduled_at else "now"))
            for c in await sessions.scheduled(db)
        ]  # fmt: skip
        return self._render(
            request, visit, "overview.html", title="Overview", members=total,
            platforms=by_platform, sources=rows, chart=chart,
            active=await sessions.active_since(db, now - timedelta(days=7)), weeks=weeks,
            trend=reports.inline(trend), scheduled=ahead,
        )  # fmt: skip

    async def members(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        text = request.query.get("filters", "")[:300]
        sort = request.query.get("sort", "active")
        page = min(row_id(request.query.get("page", "1")[:12]) or 1, 10**5)
        levels = self.settings.engagement.levels
        error, total, found = "", 0, list[Member]()
        try:
            flt = parse_filter(text, self.settings)
            total, page_of = await search(visit.session, flt, self.clock.now(), limit=PAGE,
                                        offset=(page - 1) * PAGE, order=sort)  # fmt: skip
            found = list(page_of)
        except UsageError as exc:
            error = f"Hmm, {exc}."
        return self._render(
            request, visit, "members.html", title="Members", filters=text, sort=sort,
            sorts=SORTS, page=page, members=found, total=total, error=error,
            more=total > page * PAGE, levels={m.id: level(m.engagement, levels) for m in found},
        )  # fmt: skip

    async def export(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        """The segment as CSV, written to the browser a chunk of members at a time."""
        levels = self.settings.engagement.levels
        try:
            flt = parse_filter(request.query.get("filters", "")[:300], self.settings)
        except UsageError as exc:
            return _refused(request, 400, f"Hmm, {exc}.")
        response = web.StreamResponse(
            headers={"Content-Type": "text/csv; charset=utf-8",
                     "Content-Disposition": 'attachment; filename="members.csv"'}
        )  # fmt: skip
        await response.prepare(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        async for chunk in segment_members(visit.session, flt, self.clock.now()):
            writer.writerows(csv_row(m, platforms, levels) for m, platforms in chunk)
            await response.write(out.getvalue().encode())
            out.seek(0)
            out.truncate()
        await response.write(out.getvalue().encode())
        await response.write_eof()
        return response

    async def member(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        db = visit.session
        found = await self._member(request, visit)
        if found is None or found.id is None:
            raise web.HTTPNotFound(text="No such member.")
        consents = await latest_consents(db, found.id)
        joins = await joins_of(db, found.id)
        levels = self.settings.engagement.levels
        profile = (found.function, found.seniority, found.location)
        answers = [
            f"{kind}: {'yes' if c.granted else 'no'} since {c.at:%Y-%m-%d}"
            for kind, c in consents.items()
        ]
        fields = [
            ("Profile", " · ".join(p for p in profile if p) or "not onboarded"),
            ("Accounts", ", ".join(a.platform for a in await accounts_of(db, found.id))),
            ("Source", ", ".join(j.source for j in joins) or "none yet"),
            ("Consents", ", ".join(answers) or "never asked"),
            ("Engagement", f"{level(found.engagement, levels)} ({found.engagement})"),
            ("Labels", ", ".join(await labels(db, found.id)) or "none"),
            ("Last active", _day(found.last_active_at)),
            ("Last contacted", _day(found.last_contact_at)),
        ]
        return self._render(
            request, visit, "member.html", title=f"#{found.id} {found.display_name or ''}",
            member=found, fields=fields, timeline=await timeline(db, found.id, limit=30),
        )  # fmt: skip

    async def label(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        found = await self._member(request, visit)
        if found is None or found.id is None:
            raise web.HTTPNotFound(text="No such member.")
        name = label_name(str((await request.post()).get("label", "")))
        if name and name not in await labels(visit.session, found.id):
            visit.session.add(Label(member_id=found.id, name=name, created_at=self.clock.now(),
                                    created_by_member_id=visit.member.id))  # fmt: skip
        raise web.HTTPSeeOther(f"/dashboard/members/{found.id}")

    # -- report pages ---------------------------------------------------------------------------

    def report(
        self,
        title: str,
        build: Callable[[Any, web.Request], Awaitable[list[reports.Section]]],
        form: tuple[tuple[str, str], ...] = (),
    ) -> Page:
        async def page(request: web.Request, visit: Visit) -> web.StreamResponse:
            shown = [(name, label, request.query.get(name, "")[:40]) for name, label in form]
            return self._render(
                request, visit, "report.html", title=title, form=shown,
                sections=await build(visit.session, request),
            )  # fmt: skip

        return page

    async def _content(self, db: Any, _request: web.Request) -> list[reports.Section]:
        rates = self.settings.content
        return await reports.content(
            db, self.clock.now(), rates.low_open_rate, rates.high_finish_rate
        )

    async def _campaigns(self, db: Any, _request: web.Request) -> list[reports.Section]:
        return await reports.campaigns(db)

    async def _funnel(self, db: Any, request: web.Request) -> list[reports.Section]:
        return await reports.funnel_page(db, dict(request.query))

    async def _codes(self, db: Any, _request: web.Request) -> list[reports.Section]:
        return await reports.codes(db)

    async def _activities(self, db: Any, _request: web.Request) -> list[reports.Section]:
        return await reports.activities(db, self.clock.now())

    async def qr(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        number = request.match_info["id"]
        code = await visit.session.get(InviteCode, found) if (found := row_id(number)) else None
        if code is None:
            raise web.HTTPNotFound(text="No such code.")
        landing = f"{self.settings.web.public_url.rstrip('/')}/i/{code.code}"
        return web.Response(body=await qr_png(landing), content_type="image/png")

    async def sign_out(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        await sessions.revoke(visit.session, visit.member.id or 0, self.clock.now())
        await visit.session.commit()
        response = web.HTTPSeeOther("/dashboard/signin")
        response.del_cookie(COOKIE, path="/dashboard")
        raise response

    async def _member(self, request: web.Request, visit: Visit) -> Member | None:
        number = request.match_info["id"]
        found = await visit.session.get(Member, known) if (known := row_id(number)) else None
        return found if found is not None and found.erased_at is None else None


def _day(at: Any) -> str:
    return f"{at:%Y-%m-%d}" if at else "never"


def _refused(request: web.Request, status: int, reason: str) -> web.Response:
    response = aiohttp_jinja2.render_template(
        "refused.html", request, {"title": "Not signed in" if status == 401 else "Refused",
                                  "reason": reason}, status=status,
    )  # fmt: skip
    return response
