"""`/stats` for HR: content open and finish rates, the pipeline's funnel with its bottleneck,
and where members come from, each with a chart where a picture says more than the numbers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.events import CommandInvoked
from bot.messages import Image, Message
from bot.parsing import ident, options, whole
from bot.pictures import funnel_png, grouped_png
from bot.router import Arg, Command, Role, Router, UsageError
from storage.content import approved_items, item_stats
from storage.events import events_since
from storage.events import numbers as event_numbers
from storage.growth import SOURCES
from storage.models import (
    CommunityEvent,
    Job,
)
from storage.pipeline import Scope, funnel, sources
from storage.polls import polls_since, tally
from storage.surveys import reached, summary, surveys_since

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


def parse_options(text: str, known: tuple[str, ...] = ("days",)) -> dict[str, str]:
    """`job=3 source=alumni event=2 days=90` (those of `known`), or a bare number of days."""
    given, words = options(text, known)
    found = {key: value.lower() for key, value in given.items()}
    for word in words:
        if not word.isdigit():
            named = ", ".join(f"{k}=" for k in known)
            raise UsageError(f"{word[:30]} is not an option ({named})")
        found["days"] = word
    for key in ("job", "event"):
        if key in found and ident(found[key]) is None:
            raise UsageError(f"{key}= takes a number")
    if "days" in found:
        found["days"] = str(whole(found["days"], "days=", 1, 3650))
    if "source" in found and found["source"] not in (*SOURCES, "direct"):
        raise UsageError(f"source= is one of {', '.join(SOURCES)}, direct")
    return found


def over_days(report: Callable[[Context[CommandInvoked], int], Awaitable[None]], days: int) -> Any:
    """A report over the last `days` days, or as many as HR says (`30`, `days=30`)."""

    async def run(ctx: Context[CommandInvoked]) -> None:
        given = parse_options(ctx.args.get("days", ""))
        await report(ctx, int(given.get("days", str(days))))

    return run


async def funnel_report(ctx: Context[CommandInvoked]) -> None:
    await _funnel(ctx, parse_options(ctx.args.get("options", ""), FUNNEL_OPTIONS))


async def sources_report(ctx: Context[CommandInvoked]) -> None:
    await _sources(ctx)


FUNNEL_OPTIONS = ("job", "source", "event", "days")
DAYS = Arg("days", "how many days back (a number)", required=False)


async def _events(ctx: Context[CommandInvoked], days: int) -> None:
    """Per event: registrations, attendance, new members through its code, satisfaction."""
    events = await events_since(ctx.session, ctx.now - timedelta(days=days))
    if not events:
        ctx.reply(f"No events in the last {days} days or planned.")
        return

    def share(value: float | None) -> str:
        return f"{value:.0%}" if value is not None else "—"

    def score(value: float | None, scale: int) -> str:
        return f"{value:.1f}/{scale}" if value is not None else "—"

    lines, figures = [], []
    for event in events:
        n = await event_numbers(ctx.session, event)
        figures.append(n)
        lines.append(
            f"#{event.id} **{event.title}**: {n.registered} registered"
            + (f" (+{n.waitlisted} waiting)" if n.waitlisted else "")
            + f", {n.attended} attended ({share(n.attendance)}), {n.new_members} new members "
            f"through its code; satisfaction {score(n.satisfaction, 5)}, would recommend "
            f"{score(n.recommend, 10)}, survey answered by {share(n.response_rate)}"
        )
    chart = await grouped_png(
        "Events: registered, attended, new members",
        [f"#{event.id}" for event in events],
        [
            ("registered", [n.registered for n in figures]),
            ("attended", [n.attended for n in figures]),
            ("new members", [n.new_members for n in figures]),
        ],
    )
    ctx.reply(
        Message(
            title="Events",
            body="\n".join(lines),
            image=Image(data=chart, alt="Registered, attended and new members per event"),
        )
    )


async def _surveys(ctx: Context[CommandInvoked], days: int) -> None:
    """Per survey: how many got it, answered, and the average answers."""
    surveys = await surveys_since(ctx.session, ctx.now - timedelta(days=days))
    if not surveys:
        ctx.reply(f"No surveys in the last {days} days.")
        return
    lines = []
    for survey in surveys:
        answers = await summary(ctx.session, survey.id)
        sent = await reached(ctx.session, survey.id or 0)
        lines.append(
            f"#{survey.id} {survey.title}: {answers.count} answered"
            + (f" of {sent} ({answers.count / sent:.0%})" if sent else "")
            + (
                f"; satisfaction {answers.satisfaction:.1f}/5"
                if answers.satisfaction is not None
                else ""
            )
            + (
                f", would recommend {answers.recommend:.1f}/10"
                if answers.recommend is not None
                else ""
            )
            + f"; {answers.comments} comments"
        )
    ctx.reply(Message(title=f"Surveys, last {days} days", body="\n".join(lines)))


async def _polls(ctx: Context[CommandInvoked], days: int) -> None:
    """Per poll: who took part on which platform, and the leading answer."""
    since = ctx.now - timedelta(days=days)
    polls = await polls_since(ctx.session, since)
    if not polls:
        ctx.reply(f"No polls in the last {days} days.")
        return
    lines, tallies = [], []
    for poll in polls:
        counted = await tally(ctx.session, poll.id or 0)
        tallies.append(counted)
        lead = max(counted.options, key=lambda option: option[1])
        where = ", ".join(f"{p} {n}" for p, n in counted.by_platform) or "nobody yet"
        lines.append(
            f"#{poll.id} {poll.question}: {counted.voters} voted ({where})"
            + (f"; leading: {lead[0]} ({lead[1]})" if lead[1] else "")
        )
    platforms = sorted({p for t in tallies for p, _ in t.by_platform})
    chart = None
    if platforms:  # with nobody voting yet, a chart of nothing says less than the lines
        drawn = await grouped_png(
            "Poll participation by platform",
            [f"#{poll.id}" for poll in polls],
            [(p, [dict(t.by_platform).get(p, 0) for t in tallies]) for p in platforms],
        )
        chart = Image(data=drawn, alt="Voters per poll and platform")
    ctx.reply(Message(title=f"Polls, last {days} days", body="\n".join(lines), image=chart))


async def _funnel(ctx: Context[CommandInvoked], options: dict[str, str]) -> None:
    scope, named = Scope(), []
    if "job" in options:
        job = await ctx.session.get(Job, ident(options["job"]))
        if job is None:
            ctx.refuse(f"There is no job {options['job']}.")
            return
        scope, named = Scope(job_id=job.id), [f"job #{job.id} {job.title}"]
    if "source" in options:
        scope = Scope(**{**vars(scope), "source": options["source"]})
        named.append(f"members from {options['source']}")
    if "event" in options:
        event = await ctx.session.get(CommunityEvent, ident(options["event"]))
        if event is None or event.invite_code_id is None:
            ctx.reply(f"Event {options['event']} has no invite code of its own to follow.")
            return
        scope = Scope(**{**vars(scope), "invite_code_id": event.invite_code_id})
        named.append(f"members from event #{event.id}")
    if "days" in options:
        scope = Scope(**{**vars(scope), "since": ctx.now - timedelta(days=int(options["days"]))})
        named.append(f"last {options['days']} days")
    result = await funnel(ctx.session, scope)
    title = "Funnel: " + (", ".join(named) or "all invitations")
    if not result.steps[0][1]:
        ctx.reply(Message(title=title, body="Nobody was invited to apply in this scope yet."))
        return
    lines = [f"**{STEP_NAMES[result.steps[0][0]]}**: {result.steps[0][1]}"]
    for (_, b, rate), (_, count) in zip(result.conversions(), result.steps[1:], strict=True):
        shown = f"{rate:.0%}" if rate is not None else "—"
        lines.append(f"**{STEP_NAMES[b]}**: {count} ({shown} of the step before)")
    worst = result.bottleneck()
    if worst:
        a, b, rate = worst
        lines.append(f"\n**Bottleneck:** {a} → {b}: only {rate:.0%} get through, the largest drop.")
    if result.reasons:
        lines.append(
            "\n**Why members declined:** "
            + ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in result.reasons)
        )
    chart = await funnel_png(title, result.steps, (worst[0], worst[1]) if worst else None)
    ctx.reply(
        Message(
            title=title,
            body="\n".join(lines),
            image=Image(data=chart, alt="The funnel as bars, invited to hired"),
        )
    )


async def _sources(ctx: Context[CommandInvoked]) -> None:
    active = ctx.settings.pipeline.active_days
    rows = await sources(ctx.session, ctx.now - timedelta(days=active))
    if not rows:
        ctx.reply("Nobody has joined yet.")
        return
    lines = [
        f"**{r.source}**: {r.joined} joined, {r.active} active, {r.invited} invited, "
        f"{r.applied} applied" + (f" ({r.applied / r.joined:.0%})" if r.joined else "")
        for r in rows
    ]
    chart = await grouped_png(
        "Members by source",
        [r.source for r in rows],
        [
            ("joined", [r.joined for r in rows]),
            (f"active ({active}d)", [r.active for r in rows]),
            ("invited", [r.invited for r in rows]),
            ("applied", [r.applied for r in rows]),
        ],
    )
    ctx.reply(
        Message(
            title="Where members come from",
            body="\n".join(lines) + f"\n\n_Active: seen in the last {active} days._",
            image=Image(data=chart, alt="Members by source: joined, active, invited, applied"),
        )
    )


async def _content(ctx: Context[CommandInvoked], days: int) -> None:
    since = ctx.now - timedelta(days=days)
    items = await approved_items(ctx.session)
    settings, lines, hints = ctx.settings.content, [], []
    for item in items:
        for v in await item_stats(ctx.session, item, since):
            if not v.delivered and not v.opened:
                continue
            lines.append(
                f"#{item.id} “{v.title}”: {v.delivered} delivered, {v.opened} opened "
                f"({v.open_rate:.0%}), {v.finished} finished ({v.finish_rate:.0%} of opens)"
            )
            if (
                v.delivered
                and v.open_rate < settings.low_open_rate
                and v.finish_rate >= settings.high_finish_rate
            ):
                hints.append(
                    f"#{item.id} “{v.title}”: few open it but most who do finish it: "
                    "try a more interesting title."
                )
    body = "\n".join(lines) or "Nothing was delivered in this period."
    if hints:
        body += "\n\n**Hint**\n" + "\n".join(hints)
    ctx.reply(Message(title=f"Content, last {days} days", body=body))


router = Router(
    "stats",
    commands=(
        Command(
            "stats",
            None,
            "Numbers for HR, each with a chart where a picture says more.",
            role=Role.HR,
            subcommands=(
                Command(
                    "content",
                    over_days(_content, 30),
                    "Delivered, opened and finished per title, with the hint.",
                    args=(DAYS,),
                    role=Role.HR,
                    example="30",
                ),
                Command(
                    "funnel",
                    funnel_report,
                    "Invited to hired, with the bottleneck and why members declined.",
                    args=(Arg("options", "job= source= event= days=", False, rest=True),),
                    role=Role.HR,
                    example="job=3 days=90",
                ),
                Command(
                    "sources",
                    sources_report,
                    "Where members come from: joined, active, invited, applied.",
                    role=Role.HR,
                ),
                Command(
                    "polls",
                    over_days(_polls, 30),
                    "Who voted, per poll and platform.",
                    args=(DAYS,),
                    role=Role.HR,
                    example="30",
                ),
                Command(
                    "events",
                    over_days(_events, 90),
                    "Registered, attended, new members and satisfaction per event.",
                    args=(DAYS,),
                    role=Role.HR,
                    example="90",
                ),
                Command(
                    "surveys",
                    over_days(_surveys, 90),
                    "Answered of reached, satisfaction and would-recommend per survey.",
                    args=(DAYS,),
                    role=Role.HR,
                    example="90",
                ),
            ),
        ),
    ),
)
