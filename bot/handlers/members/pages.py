"""The dashboard's Members tab: find members by the same filters as `/members` (streamed as CSV
when asked), and a page per member with their profile, consents, labels and what happened."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from aiohttp import web

from bot.handlers.members.spreadsheet import CSV_COLUMNS, csv_row
from bot.naming import label_name
from bot.pages import Page, Tab, Visit
from bot.router import UsageError
from bot.segments import parse_filter
from storage.engagement import level
from storage.members import accounts_of, labels, search, segment_members
from storage.models import Label, Member
from storage.people import joins_of, latest_consents, timeline
from storage.types import row_id

MEMBERS = Tab("members", "Members", 10)
SORTS = (("active", "last active"), ("number", "member number"), ("engagement", "engagement"))
PAGE = 50


async def listing(request: web.Request, visit: Visit) -> web.StreamResponse:
    text = request.query.get("filters", "")[:300]
    sort = request.query.get("sort", "active")
    page = min(row_id(request.query.get("page", "1")[:12]) or 1, 10**5)
    levels = visit.settings.engagement.levels
    error, total, found = "", 0, list[Member]()
    try:
        flt = parse_filter(text, visit.settings)
        total, page_of = await search(visit.session, flt, visit.now, limit=PAGE,
                                      offset=(page - 1) * PAGE, order=sort)  # fmt: skip
        found = list(page_of)
    except UsageError as exc:
        error = f"Hmm, {exc}."
    return visit.render(
        "members.html", title="Members", filters=text, sort=sort, sorts=SORTS, page=page,
        members=found, total=total, error=error, more=total > page * PAGE,
        levels={m.id: level(m.engagement, levels) for m in found},
    )  # fmt: skip


async def export(request: web.Request, visit: Visit) -> web.StreamResponse:
    """The segment as CSV, written to the browser a chunk of members at a time."""
    levels = visit.settings.engagement.levels
    try:
        flt = parse_filter(request.query.get("filters", "")[:300], visit.settings)
    except UsageError as exc:
        raise web.HTTPBadRequest(text=f"Hmm, {exc}.") from None
    response = web.StreamResponse(
        headers={"Content-Type": "text/csv; charset=utf-8",
                 "Content-Disposition": 'attachment; filename="members.csv"'}
    )  # fmt: skip
    await response.prepare(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    async for chunk in segment_members(visit.session, flt, visit.now):
        writer.writerows(csv_row(m, platforms, levels) for m, platforms in chunk)
        await response.write(out.getvalue().encode())
        out.seek(0)
        out.truncate()
    await response.write(out.getvalue().encode())
    await response.write_eof()
    return response


async def member(request: web.Request, visit: Visit) -> web.StreamResponse:
    db, found = visit.session, await _member(request, visit)
    consents = await latest_consents(db, found.id or 0)
    joins = await joins_of(db, found.id or 0)
    levels = visit.settings.engagement.levels
    profile = (found.function, found.seniority, found.location)
    answers = [
        f"{kind}: {'yes' if c.granted else 'no'} since {c.at:%Y-%m-%d}"
        for kind, c in consents.items()
    ]
    fields = [
        ("Profile", " · ".join(p for p in profile if p) or "not onboarded"),
        ("Accounts", ", ".join(a.platform for a in await accounts_of(db, found.id or 0))),
        ("Source", ", ".join(j.source for j in joins) or "none yet"),
        ("Consents", ", ".join(answers) or "never asked"),
        ("Engagement", f"{level(found.engagement, levels)} ({found.engagement})"),
        ("Labels", ", ".join(await labels(db, found.id or 0)) or "none"),
        ("Last active", _day(found.last_active_at)),
        ("Last contacted", _day(found.last_contact_at)),
    ]
    return visit.render(
        "member.html", title=f"#{found.id} {found.display_name or ''}", member=found,
        fields=fields, timeline=await timeline(db, found.id or 0, limit=30),
    )  # fmt: skip


async def label(request: web.Request, visit: Visit) -> web.StreamResponse:
    found = await _member(request, visit)
    name = label_name(str((await request.post()).get("label", "")))
    if name and name not in await labels(visit.session, found.id or 0):
        visit.session.add(Label(member_id=found.id or 0, name=name, created_at=visit.now,
                                created_by_member_id=visit.member.id))  # fmt: skip
    raise web.HTTPSeeOther(f"/dashboard/members/{found.id}")


async def _member(request: web.Request, visit: Visit) -> Member:
    number = row_id(request.match_info["id"])
    found = await visit.session.get(Member, number) if number else None
    if found is None or found.id is None or found.erased_at is not None:
        raise web.HTTPNotFound(text="No such member.")
    return found


def _day(at: datetime | None) -> str:
    return f"{at:%Y-%m-%d}" if at else "never"


PAGES = (
    Page("members", "members", listing, MEMBERS),
    Page("members.csv", "members.csv", export),
    Page("members/{id}", "member", member),
    Page("members/{id}/label", "label", label, method="POST"),
)
