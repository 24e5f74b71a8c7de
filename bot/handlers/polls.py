"""Polls: HR asks one question in every community channel; members answer natively (Telegram
and Discord polls) or with buttons that show live counts (Slack, the console); every vote
counts once per member; at the closing time the result is posted everywhere.

An anonymous poll uses buttons on every platform: Telegram tells bots nothing of who voted in
an anonymous native poll, and Discord shows everyone who voted, so neither keeps both promises
(one vote per member, and nobody sees who voted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.activities import ACTIVITIES, CHANNELS, plan
from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted, PollAnswered
from bot.kinds import CampaignKind, Launching, Refresh, Render, Subject
from bot.messages import FieldKind, Form, FormField, Message, PollSpec
from bot.parsing import ParseError, duration, ident, moment
from bot.payloads import Payload
from bot.pictures import grouped_png
from bot.reports import Chart, Column, Query, Report, Sheet
from bot.router import Action, Command, FormHandler, On, Role, Router
from bot.settings import Settings
from storage.db import Session
from storage.models import Campaign, Poll, PollOption
from storage.polls import (
    Tally,
    by_native_id,
    clean_options,
    latest_polls,
    options_of,
    polls_since,
    tally,
    vote,
)

IN = re.compile(r"^(?:in\s+)?\d+\s*[mhdw]$")
KINDS = ("single", "multiple", "quiz")

POLL_FORM = Form(
    id="poll.create",
    title="Ask the community",
    fields=(
        FormField("question", "Question", max_length=300),
        FormField("options", "Options, one a line (2 to 10)", FieldKind.LONG_TEXT, max_length=1100),
        FormField("kind", "Kind", FieldKind.CHOICE, KINDS),
        FormField("anonymous", "Anonymous (nobody sees who voted)?", FieldKind.YES_NO),
        FormField("closes", "Closes: in 2h, in 3d, or 2026-12-07 18:00", max_length=40),
        FormField("answer", "Quiz: the right option's number", required=False, max_length=2),
        FormField("explanation", "Quiz: why it is right", required=False, max_length=200),
    ),
    submit_label="Post",
)


def parse_closes(text: str, timezone: str, now: datetime) -> datetime:
    text = " ".join(text.lower().split())
    try:
        if IN.match(text):
            spoken = text.removeprefix("in ").replace(" ", "")
            at = now + duration(spoken, "in … (such as in 2h or in 3d)", timedelta(days=365))
        else:
            at = moment(text, timezone)
    except ParseError as exc:
        raise ValueError(f"say when it closes: in 2h, in 3d, or 2026-12-07 18:00 ({exc})") from None
    if at <= now:
        raise ValueError("the closing time has passed")
    return at


async def ask(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(POLL_FORM)


async def created(ctx: Context[FormSubmitted]) -> None:
    values = ctx.event.values
    try:
        options = clean_options(values["options"])
        closes = parse_closes(values["closes"], ctx.settings.community.timezone, ctx.now)
        correct = _correct(values, len(options))
    except ValueError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was posted; {ctx.cmd('poll')} starts again.")
        return
    poll = Poll(
        question=values["question"],
        multiple=values["kind"] == "multiple",
        anonymous=values["anonymous"] == "yes",
        correct_position=correct,
        explanation=values["explanation"] or None,
        closes_at=closes,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(poll)
    await ctx.session.flush()
    for position, text in enumerate(options):
        ctx.session.add(PollOption(poll_id=poll.id or 0, position=position, text=text))
    await plan(ctx, poll.id or 0, [(POLL, CHANNELS, ctx.now), (POLL_RESULT, CHANNELS, closes)])
    ctx.audit("poll.create", poll=poll.id)
    zone = ZoneInfo(ctx.settings.community.timezone)
    ctx.reply(
        f"Poll #{poll.id} is going out to every community channel; it closes "
        f"{closes.astimezone(zone):%a %d %b %H:%M} and the result follows."
    )


def _correct(values: Mapping[str, str], count: int) -> int | None:
    if values["kind"] != "quiz":
        return None
    answer = values["answer"]
    number = ident(answer)
    if number is None or number > count:
        raise ValueError(f"a quiz needs the right option's number, 1 to {count}")
    return number - 1


@dataclass(frozen=True, slots=True)
class Vote(Payload, action="poll.vote"):
    poll: int
    option: int  # its position


async def pressed(ctx: Context[ActionPressed]) -> None:
    """A vote by button: pressing an option again takes the vote back."""
    chose = Vote.of(ctx)
    poll = await ctx.session.get(Poll, chose.poll)
    if poll is None:
        ctx.reply("That poll is no longer available.", ephemeral=True)
        return
    if poll.closed_at is not None:
        ctx.reply("This poll has closed; the result is in the channel.", ephemeral=True)
        return
    chosen = await vote(
        ctx.session,
        poll,
        ctx.member_id,
        (chose.option,),
        change="toggle",
        platform=ctx.platform,
        now=ctx.now,
    )
    options = await options_of(ctx.session, poll.id or 0)
    shown = ", ".join(options[p].text for p in chosen) or "none (your vote is taken back)"
    ctx.reply(f"Your answer: {shown}.", ephemeral=True)
    ctx.signal(Refresh(POLL, poll.id or 0))


async def answered(ctx: Context[PollAnswered]) -> None:
    """A vote in a platform's own poll."""
    poll = await by_native_id(ctx.session, ctx.platform, ctx.event.poll)
    if poll is None or poll.closed_at is not None:
        return  # not ours, or too late: the result is out
    event = ctx.event
    await vote(
        ctx.session,
        poll,
        ctx.member_id,
        event.options,
        change=event.change,
        platform=ctx.platform,
        now=ctx.now,
    )


async def listing(ctx: Context[CommandInvoked]) -> None:
    lines = []
    for poll in await latest_polls(ctx.session):
        counted = await tally(ctx.session, poll.id or 0)
        state = "closed" if poll.closed_at else f"open until {poll.closes_at:%d %b %H:%M}"
        lines.append(f"#{poll.id} {poll.question}: {counted.voters} voted, {state}")
    ctx.reply(Message(title="Polls", body="\n".join(lines) or "No polls yet."))


async def posted(session: Session, _campaign: Campaign, poll: Poll) -> Render:
    """The poll as posted: a native poll where the platform has one (and it isn't anonymous),
    else buttons with the live count on each."""
    message = await poll_message(session, poll.id or 0)
    return lambda _row: message


async def poll_message(session: Session, poll_id: int) -> Message:
    poll = await session.get(Poll, poll_id)
    assert poll is not None
    options = await options_of(session, poll_id)
    counted = dict((await tally(session, poll_id)).options)
    native = PollSpec(
        question=poll.question,
        options=tuple(o.text for o in options),
        multiple=poll.multiple,
        anonymous=False,  # so that the platform tells Roost who voted
        correct=poll.correct_position,
        explanation=poll.explanation,
    )
    how = "Choose any that apply" if poll.multiple else "Choose one"
    return Message(
        title=f"Poll: {poll.question}",
        body=f"{how}; pressing again takes it back."
        + (
            " A quiz: the answer comes with the result."
            if poll.correct_position is not None
            else ""
        ),
        buttons=tuple(
            Vote(poll_id, o.position).button(f"{o.text} · {counted.get(o.text, 0)}")
            for o in options
        ),
        poll=None if poll.anonymous else native,
    )


async def result(session: Session, _campaign: Campaign, poll: Poll) -> Render:
    """The result, and a quiz's answer with its explanation."""
    counted = await tally(session, poll.id or 0)
    total = sum(n for _, n in counted.options)
    lines = [
        f"**{text}**: {n} ({n / total:.0%})" if total else f"**{text}**: 0"
        for text, n in counted.options
    ]
    if poll.correct_position is not None:
        right = counted.options[poll.correct_position][0]
        lines.append(f"\nThe right answer: **{right}**. {poll.explanation or ''}".rstrip())
    voters = f"{counted.voters} member{'s' if counted.voters != 1 else ''} voted"
    message = Message(
        title=f"Poll results: {poll.question}", body="\n".join(lines) + f"\n\n_{voters}._"
    )
    return lambda _row: message


async def final_count(session: Session, run: Campaign, now: datetime, _s: Settings) -> Launching:
    """The result is final: later votes don't count."""
    poll = await session.get(Poll, run.subject_id)
    if poll is not None:
        poll.closed_at = poll.closed_at or now
    return Launching()


POLL_SUBJECT = Subject("poll", Poll)
POLL = CampaignKind("poll", POLL_SUBJECT, lambda _s: posted, label="poll", live=poll_message)
POLL_RESULT = CampaignKind(
    "poll_result", POLL_SUBJECT, lambda _s: result, label="poll result", launching=final_count
)

# -- the report -----------------------------------------------------------------------------


class PollRow(NamedTuple):
    poll: Poll
    tally: Tally


def _said(r: PollRow) -> str:
    lead = max(r.tally.options, key=lambda option: option[1])
    where = ", ".join(f"{p} {n}" for p, n in r.tally.by_platform) or "nobody yet"
    return f"#{r.poll.id} {r.poll.question}: {r.tally.voters} voted ({where})" + (
        f"; leading: {lead[0]} ({lead[1]})" if lead[1] else ""
    )


async def polls_sheet(query: Query) -> Sheet[PollRow]:
    """Per poll: who took part on which platform, and the answers."""
    days = query.days(30)
    polls = await polls_since(query.session, query.now - timedelta(days=days))
    rows = [PollRow(p, await tally(query.session, p.id or 0)) for p in polls]
    platforms = sorted({p for r in rows for p, _ in r.tally.by_platform})

    async def draw(svg: bool) -> bytes:
        return await grouped_png(
            "Poll participation by platform",
            [f"#{r.poll.id}" for r in rows],
            [(p, [dict(r.tally.by_platform).get(p, 0) for r in rows]) for p in platforms],
            svg=svg,
        )

    return Sheet(
        f"Polls, last {days} days",
        (
            Column("#", lambda r: r.poll.id),
            Column("question", lambda r: r.poll.question),
            Column("voters", lambda r: r.tally.voters),
            Column("answers", lambda r: ", ".join(f"{o} {n}" for o, n in r.tally.options)),
        ),
        rows,
        sentence=_said,
        # with nobody voting yet, a chart of nothing says less than the lines
        chart=Chart("Voters per poll and platform", draw) if platforms else None,
        empty=f"No polls in the last {days} days.",
    )


REPORT = Report(
    "polls", "Who voted, per poll and platform.", polls_sheet, ACTIVITIES, options=("days",),
    example="30",
)  # fmt: skip


router = Router(
    "polls",
    reports=(REPORT,),
    kinds=(POLL, POLL_RESULT),
    commands=(
        Command("poll", ask, "Ask the community a question (a poll or a quiz).", role=Role.HR),
        Command("polls", listing, "Polls, how many voted, and when they close.", role=Role.HR),
    ),
    actions=(Action.taking(Vote, pressed),),
    forms=(FormHandler(POLL_FORM.id, created, lambda _ctx: POLL_FORM, role=Role.HR),),
    events=(On(PollAnswered, answered),),
)
