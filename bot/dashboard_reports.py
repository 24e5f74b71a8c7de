"""The dashboard's report pages: what `/stats`, `/campaigns` and `/invites` tell HR in chat,
as tables (and the same charts, as SVG) on the web. Each page is a list of `Section`s that
`report.html` shows; every number comes from the storage functions the commands use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.handlers.stats import STEP_NAMES
from bot.parsing import ident
from bot.pictures import funnel_png
from storage.campaigns import latest, states
from storage.competitions import latest_competitions
from storage.competitions import leaderboard as standings
from storage.content import approved_items, item_stats
from storage.events import events_since, numbers
from storage.growth import all_codes, joins_through
from storage.growth import leaderboard as referrals
from storage.members import first_names
from storage.models import CommunityEvent, Job
from storage.pipeline import Scope, funnel, jobs_with_counts
from storage.polls import latest_polls, tally
from storage.surveys import reached, summary, surveys_since


@dataclass
class Section:
    title: str
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (alt, address)
    chart: str = ""  # an SVG drawn by bot/pictures.py


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def inline(data: bytes) -> str:
    return data.decode().split("?>", 1)[-1]  # inline: no XML declaration inside HTML


async def content(db: Any, now: datetime, low_open: float, high_finish: float) -> list[Section]:
    section = Section(
        "Open and finish rates, last 30 days",
        ("item", "title", "delivered", "opened", "finished (of opens)", "hint"),
    )
    for item in await approved_items(db):
        for v in await item_stats(db, item, now - timedelta(days=30)):
            if not v.delivered and not v.opened:
                continue
            hint = (
                "few open it but most who do finish it: try a more interesting title"
                if v.delivered and v.open_rate < low_open and v.finish_rate >= high_finish
                else ""
            )
            section.rows.append(
                (f"#{item.id}", v.title, v.delivered, f"{v.opened} ({v.open_rate:.0%})",
                 f"{v.finished} ({v.finish_rate:.0%})", hint)
            )  # fmt: skip
    return [section]


async def campaigns(db: Any) -> list[Section]:
    section = Section("Campaigns, the newest first", ("#", "kind", "subject", "status", "rows"))
    for campaign in await latest(db, limit=50):
        counts = await states(db, campaign)
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none yet"
        section.rows.append(
            (campaign.id, campaign.kind.replace("_", " "), f"#{campaign.subject_id}",
             campaign.status, shown)
        )  # fmt: skip
    return [section]


async def funnel_page(db: Any, query: dict[str, str]) -> list[Section]:
    """The funnel for a job, a source or an event's code (or everything), and the jobs."""
    scope, named = Scope(), []
    if (job_id := ident(query.get("job", ""))) and (job := await db.get(Job, job_id)):
        scope, named = Scope(job_id=job.id), [f"job #{job.id} {job.title}"]
    if source := query.get("source", "").strip()[:40]:
        scope = Scope(**{**vars(scope), "source": source.lower()})
        named.append(f"members from {source}")
    event_id = ident(query.get("event", ""))
    event = await db.get(CommunityEvent, event_id) if event_id else None
    if event is not None and event.invite_code_id is not None:
        scope = Scope(**{**vars(scope), "invite_code_id": event.invite_code_id})
        named.append(f"members from event #{event.id}")
    result = await funnel(db, scope)
    steps = Section(
        "Funnel: " + (", ".join(named) or "all invitations"),
        ("step", "members", "of the step before"),
    )
    previous = None
    for step, count in result.steps:
        steps.rows.append(
            (STEP_NAMES[step], count, share(count, previous) if previous is not None else "")
        )
        previous = count
    worst = result.bottleneck()
    if worst:
        steps.notes.append(f"Bottleneck: {worst[0]} → {worst[1]}: only {worst[2]:.0%} get through.")
    if result.reasons:
        steps.notes.append("Why members declined: " + ", ".join(
            f"{reason.replace('_', ' ')} {n}" for reason, n in result.reasons
        ))  # fmt: skip
    if result.steps[0][1]:
        marked = (worst[0], worst[1]) if worst else None
        steps.chart = inline(await funnel_png(steps.title, result.steps, marked, svg=True))
    jobs = Section("Jobs", ("#", "title", "invited", "applied"))
    jobs.rows = [
        (j.id, j.title, invited, applied) for j, invited, applied in await jobs_with_counts(db)
    ]
    return [steps, jobs]


async def codes(db: Any) -> list[Section]:
    section = Section("Invite codes", ("code", "source", "campaign", "joins", "visits", "flagged"))
    for code, flagged in await all_codes(db):
        section.rows.append(
            (code.code, code.source, code.campaign or "", await joins_through(db, code.id or 0),
             code.visits, flagged)
        )  # fmt: skip
        section.images.append((f"QR code for {code.code}", f"/dashboard/codes/{code.id}/qr.png"))
    return [section]


async def activities(db: Any, now: datetime) -> list[Section]:
    events = Section(
        "Events, last 90 days and ahead",
        ("#", "event", "registered", "waitlisted", "attended", "new members", "satisfaction"),
    )
    for event in await events_since(db, now - timedelta(days=90)):
        n = await numbers(db, event)
        events.rows.append(
            (event.id, event.title, n.registered, n.waitlisted, n.attended, n.new_members,
             f"{n.satisfaction:.1f}/5" if n.satisfaction is not None else "—")
        )  # fmt: skip
    polls = Section("Polls", ("#", "question", "voters", "answers"))
    for poll in await latest_polls(db):
        t = await tally(db, poll.id or 0)
        polls.rows.append(
            (poll.id, poll.question, t.voters, ", ".join(f"{o} {n}" for o, n in t.options))
        )
    surveys = Section(
        "Surveys, last 90 days", ("#", "survey", "answers", "reached", "satisfaction", "recommend")
    )
    for survey in await surveys_since(db, now - timedelta(days=90)):
        a = await summary(db, survey.id)
        surveys.rows.append(
            (survey.id, survey.title, a.count, await reached(db, survey.id or 0),
             f"{a.satisfaction:.1f}/5" if a.satisfaction is not None else "—",
             f"{a.recommend:.1f}/10" if a.recommend is not None else "—")
        )  # fmt: skip
    contests = Section("Competitions", ("#", "competition", "leading"))
    for competition in await latest_competitions(db):
        board = await standings(db, competition.id or 0)
        names = await first_names(db, [s.member_id for s in board[:3]])
        leading = ", ".join(f"{names[s.member_id]} {s.points:.1f}" for s in board[:3])
        contests.rows.append((competition.id, competition.title, leading or "no entries scored"))
    referrers = Section("Referral leaderboard, last 90 days", ("employee", "qualified referrals"))
    best = await referrals(db, now - timedelta(days=90))
    named = await first_names(db, [m for m, _ in best])
    referrers.rows = [(named[m], n) for m, n in best]
    return [events, polls, surveys, contests, referrers]
