"""The pipeline's reports, on the dashboard's Funnel tab and in `/stats`: the funnel from
invited to hired with its bottleneck, where members come from, and the jobs. The scope a
funnel is narrowed by is read here once, for chat, the dashboard and `roost funnel export`."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple, TypeVar

from bot.pages import Tab
from bot.parsing import ident
from bot.pictures import funnel_png, grouped_png
from bot.reports import Chart, Column, Query, Report, Sheet, share
from bot.router import UsageError
from storage.db import Session
from storage.growth import SOURCES
from storage.models import CommunityEvent, Job
from storage.pipeline import Scope, SourceRow, funnel, jobs_with_counts, sources

Table = TypeVar("Table", Job, CommunityEvent)
FUNNEL_TAB = Tab("funnel", "Funnel", 30)
STEP_NAMES = {
    "invited": "invited",
    "delivered": "delivered",
    "opened": "opened",
    "responded": "responded (any answer, Not now and Not for me too)",
    "interested": "interested (I'm interested, or Apply)",
    "applied": "applied",
    "interviewing": "interviewing",
    "hired": "hired",
}


async def scope_of(query: Query) -> tuple[Scope, list[str]]:
    """The invitations the options name (a job's, a source's, an event's code's, a period's)
    and how to say them; refused when they name what is not there."""
    session, given = query.session, query.options
    scope, named = Scope(), []
    if "job" in given:
        job = await _row(session, Job, given["job"])
        if job is None:
            raise UsageError(f"there is no job {given['job']}")
        scope, named = Scope(job_id=job.id), [f"job #{job.id} {job.title}"]
    if source := given.get("source"):
        if source not in (*SOURCES, "direct"):
            raise UsageError(f"source= is one of {', '.join(SOURCES)}, direct")
        scope = Scope(**{**vars(scope), "source": source})
        named.append(f"members from {source}")
    if "event" in given:
        event = await _row(session, CommunityEvent, given["event"])
        if event is None or event.invite_code_id is None:
            raise UsageError(f"event {given['event']} has no invite code of its own to follow")
        scope = Scope(**{**vars(scope), "invite_code_id": event.invite_code_id})
        named.append(f"members from event #{event.id}")
    if "days" in given:
        scope = Scope(**{**vars(scope), "since": query.now - timedelta(days=query.days(0))})
        named.append(f"last {given['days']} days")
    return scope, named


async def _row(session: Session, table: type[Table], ref: str) -> Table | None:
    number = ident(ref)
    return await session.get(table, number) if number else None


class Step(NamedTuple):
    name: str
    members: int
    of_before: str  # the share of the step before that got here


async def funnel_sheet(query: Query) -> Sheet[Step]:
    scope, named = await scope_of(query)
    result = await funnel(query.session, scope)
    title = "Funnel: " + (", ".join(named) or "all invitations")
    steps, before = [], None
    for step, count in result.steps:
        steps.append(
            Step(STEP_NAMES[step], count, share(count, before) if before is not None else "")
        )
        before = count
    notes = []
    worst = result.bottleneck()
    if worst:
        a, b, rate = worst
        notes.append(f"**Bottleneck:** {a} → {b}: only {rate:.0%} get through, the largest drop.")
    if result.reasons:
        said = ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in result.reasons)
        notes.append(f"**Why members declined:** {said}")
    marked = (worst[0], worst[1]) if worst else None

    async def draw(svg: bool) -> bytes:
        return await funnel_png(title, result.steps, marked, svg=svg)

    return Sheet(
        title,
        (
            Column("step", lambda s: s.name),
            Column("members", lambda s: s.members),
            Column("of the step before", lambda s: s.of_before),
        ),
        steps if result.steps[0][1] else [],
        sentence=lambda s: (
            f"**{s.name}**: {s.members}"
            + (f" ({s.of_before} of the step before)" if s.of_before else "")
        ),
        notes=notes,
        chart=Chart("The funnel as bars, invited to hired", draw),
        empty="Nobody was invited to apply in this scope yet.",
    )


async def sources_sheet(query: Query) -> Sheet[SourceRow]:
    active = query.settings.pipeline.active_days
    rows = await sources(query.session, query.now - timedelta(days=active))

    async def draw(svg: bool) -> bytes:
        return await grouped_png(
            "Members by source",
            [r.source for r in rows],
            [("joined", [r.joined for r in rows]),
             (f"active ({active}d)", [r.active for r in rows]),
             ("invited", [r.invited for r in rows]), ("applied", [r.applied for r in rows])],
            svg=svg,
        )  # fmt: skip

    return Sheet(
        "Where members come from",
        (
            Column("source", lambda r: r.source),
            Column("joined", lambda r: r.joined),
            Column(f"active ({active}d)", lambda r: r.active),
            Column("invited", lambda r: r.invited),
            Column("applied", lambda r: r.applied),
        ),
        rows,
        sentence=lambda r: (
            f"**{r.source}**: {r.joined} joined, {r.active} active, "
            f"{r.invited} invited, {r.applied} applied"
            + (f" ({r.applied / r.joined:.0%})" if r.joined else "")
        ),
        notes=[f"_Active: seen in the last {active} days._"],
        chart=Chart("Members by source: joined, active, invited, applied", draw),
        empty="Nobody has joined yet.",
    )


class JobRow(NamedTuple):
    job: Job
    invited: int
    applied: int
    closed: bool


async def jobs_sheet(query: Query) -> Sheet[JobRow]:
    rows = [
        JobRow(job, invited, applied, bool(job.closes_at and job.closes_at <= query.now))
        for job, invited, applied in await jobs_with_counts(query.session)
    ]
    return Sheet(
        "Jobs",
        (
            Column("#", lambda r: r.job.id),
            Column("title", lambda r: r.job.title),
            Column("function", lambda r: r.job.function),
            Column("seniority", lambda r: r.job.seniority),
            Column("location", lambda r: r.job.location),
            Column("closed", lambda r: "yes" if r.closed else ""),
            Column("invited", lambda r: r.invited),
            Column("applied", lambda r: r.applied),
        ),
        rows,
        sentence=lambda r: (
            f"#{r.job.id} **{r.job.title}**{' (closed)' if r.closed else ''}: "
            f"{r.job.function}, {r.job.seniority}, {r.job.location} · {r.invited} invited, "
            f"{r.applied} applied"
        ),
        empty="No jobs yet.",
    )


FUNNEL = Report(
    "funnel",
    "Invited to hired, with the bottleneck and why members declined.",
    funnel_sheet,
    FUNNEL_TAB,
    options=("job", "source", "event", "days"),
    example="job=3 days=90",
)
SOURCES_REPORT = Report(
    "sources",
    "Where members come from: joined, active, invited, applied.",
    sources_sheet,
    FUNNEL_TAB,
)
JOBS = Report("jobs", "Jobs, with how many were invited and applied.", jobs_sheet, FUNNEL_TAB)
