"""Competitions: HR announces one with rules, a prize, criteria and deadlines, and names its
judges; members register and submit an entry (a link and a short text), resubmitting until
the deadline; judges score entries per criterion; the leaderboard is there on request and
the winners are announced in every community channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.activities import ACTIVITIES, CHANNELS, plan, registrants
from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.kinds import CampaignKind, Composer, Launch, Render, Subject
from bot.messages import ActionButton, FieldKind, Form, FormField, Message, MessageField, Style
from bot.naming import MEMBER_HINT
from bot.parsing import ParseError, ident, moment
from bot.payloads import Payload
from bot.reports import Column, Query, Report, Sheet
from bot.router import Action, Arg, Command, FormHandler, Role, Router
from bot.settings import Settings
from storage.competitions import (
    entries_of,
    entry_of,
    is_judge,
    latest_competitions,
    leaderboard,
    parse_scores,
    score,
    submitted_entries,
)
from storage.db import Session
from storage.members import MemberFilter, first_names, resolve
from storage.models import Campaign, Competition, Entry, Judge

COMPETITION = Form(
    id="competition.create",
    title="Announce a competition",
    fields=(
        FormField("title", "Title", max_length=120),
        FormField("rules", "Rules: the task and how it is judged", FieldKind.LONG_TEXT),
        FormField("prize", "Prize", max_length=200),
        FormField("criteria", "Criteria, comma-separated (e.g. correctness, clarity)"),
        FormField("registration", "Registration closes: 2026-12-10 18:00", max_length=20),
        FormField("submission", "Submissions close: 2026-12-17 18:00", max_length=20),
    ),
    submit_label="Announce",
)
SUBMIT = Form(
    id="competition.submit",
    title="Your entry",
    fields=(
        FormField("link", "A link to your entry (https://…)", FieldKind.LINK, max_length=500),
        FormField("text", "A few words about it", FieldKind.LONG_TEXT, max_length=1000),
    ),
    submit_label="Submit",
)


def _at(text: str, zone: ZoneInfo) -> datetime:
    try:
        return moment(text, str(zone))
    except ParseError as exc:
        raise ValueError(f"“{text[:20]}” is not a time like 2026-12-10 18:00 ({exc})") from None


def _shown(at: datetime, tz: str) -> str:
    return f"{at.astimezone(ZoneInfo(tz)):%a %d %b %Y %H:%M} ({tz})"


async def ask(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(COMPETITION)


async def created(ctx: Context[FormSubmitted]) -> None:
    values, tz = ctx.event.values, ctx.settings.community.timezone
    criteria = list(dict.fromkeys(c.strip().lower() for c in values["criteria"].split(",")))
    criteria = [c for c in criteria if c]
    try:
        if len(criteria) > 5:
            raise ValueError(f"a competition has at most 5 criteria ({len(criteria)} given)")
        registration = _at(values["registration"], ZoneInfo(tz))
        submission = _at(values["submission"], ZoneInfo(tz))
        if registration <= ctx.now:
            raise ValueError("registration would close in the past")
        if submission < registration:
            raise ValueError("submissions would close before registration does")
        if not criteria:
            raise ValueError("name at least one criterion")
    except ValueError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was announced; {ctx.cmd('competition')} starts again.")
        return
    competition = Competition(
        title=values["title"],
        rules=values["rules"],
        prize=values["prize"],
        criteria=criteria,
        registration_closes_at=registration,
        submission_closes_at=submission,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(competition)
    await ctx.session.flush()
    entrants = registrants(MemberFilter(entered=competition.id))
    await plan(
        ctx,
        competition.id or 0,
        [
            (ANNOUNCEMENT, CHANNELS, ctx.now),
            (LAST_CALL, CHANNELS, registration - timedelta(days=1)),
            (REMINDER, entrants, submission - timedelta(days=1)),
        ],
    )
    ctx.audit("competition.create", competition=competition.id)
    ctx.reply(
        f"Competition #{competition.id} is announced. Name its judges with "
        f"`{ctx.cmd('judge', f'{competition.id} @handle')}` (HR or employees)."
    )


async def _competition(ctx: Context[Any], ref: str) -> Competition | None:
    found = await ctx.session.get(Competition, number) if (number := ident(ref)) else None
    if found is None:
        ctx.refuse(f"There is no competition {ref[:20]}.", ephemeral=True)
    return found


async def judge(ctx: Context[CommandInvoked]) -> None:
    competition = await _competition(ctx, ctx.args["competition"])
    if competition is None:
        return
    member = await resolve(ctx.session, ctx.args["member"], ctx.platform)
    if member is None or member.id is None:
        ctx.refuse(f"I can't find {ctx.args['member'][:40]}. {MEMBER_HINT}")
        return
    if await is_judge(ctx.session, competition.id or 0, member.id):
        ctx.reply(f"#{member.id} judges this competition already.")
        return
    ctx.session.add(Judge(competition_id=competition.id or 0, member_id=member.id))
    ctx.reply(
        f"#{member.id} {member.display_name or ''} now judges {competition.title}; they can "
        "score while they hold an HR or employee role."
    )


@dataclass(frozen=True, slots=True)
class SignUp(Payload, action="competition.register"):
    competition: int


@dataclass(frozen=True, slots=True)
class Submit(Payload, action="competition.submit"):
    competition: int


async def signed_up(ctx: Context[ActionPressed]) -> None:
    competition = await _competition(ctx, str(SignUp.of(ctx).competition))
    if competition is None:
        return
    tz = ctx.settings.community.timezone
    if ctx.now >= competition.registration_closes_at:
        ctx.reply("Registration for this competition has closed.", ephemeral=True)
        return
    if await entry_of(ctx.session, competition.id or 0, ctx.member_id) is None:
        ctx.session.add(
            Entry(
                competition_id=competition.id or 0, member_id=ctx.member_id, registered_at=ctx.now
            )
        )
    ctx.dm(
        Message(
            title=f"You're in: {competition.title}",
            body=f"Submit your entry before {_shown(competition.submission_closes_at, tz)}; "
            "you can resubmit until then.",
            buttons=(Submit(competition.id or 0).button("Submit my entry", Style.PRIMARY),),
        )
    )


async def submitting(ctx: Context[ActionPressed]) -> None:
    ctx.ask(SUBMIT)


async def submitted(ctx: Context[FormSubmitted]) -> None:
    """For the competition the member entered most recently whose deadline hasn't passed."""
    entries = await entries_of(ctx.session, ctx.member_id)
    if not entries:
        ctx.refuse("You haven't registered for a competition; nothing was saved.")
        return
    open_ = [(e, c) for e, c in entries if ctx.now < c.submission_closes_at]
    if not open_:
        entry, competition = entries[0]
        kept = (
            f"your entry of {_shown(entry.submitted_at, ctx.settings.community.timezone)} stands"
            if entry.submitted_at
            else "no entry was received"
        )
        ctx.refuse(f"Sorry, submissions for {competition.title} have closed; {kept}.")
        return
    entry, competition = open_[0]
    link = ctx.event.values["link"]
    again = entry.submitted_at is not None
    entry.link, entry.text, entry.submitted_at = link, ctx.event.values["text"], ctx.now
    ctx.dm(
        Message(
            body=f"{'Resubmitted' if again else 'Submitted'}: your entry to {competition.title}. "
            "Good luck!",
            buttons=(Submit(competition.id or 0).button("Resubmit"),),
        )
    )


async def entries(ctx: Context[CommandInvoked]) -> None:
    competition = await _competition(ctx, ctx.args["competition"])
    if competition is None:
        return
    allowed = ctx.role >= Role.HR or await is_judge(ctx.session, competition.id or 0, ctx.member_id)
    if not allowed:
        ctx.reply("Only this competition's judges and HR see its entries.")
        return
    found = await submitted_entries(ctx.session, competition.id or 0)
    lines = [f"Entry {e.id}: {e.link}\n{e.text}" for e in found]
    how = ctx.cmd("score", f"ENTRY {' '.join(f'{c}=8' for c in competition.criteria)}")
    ctx.dm(
        Message(
            title=f"Entries: {competition.title}",
            body="\n\n".join(lines) + f"\n\nScore with `{how}` (0 to 10 each)."
            if lines
            else "No entries yet.",
        )
    )


async def scored(ctx: Context[CommandInvoked]) -> None:
    ref = ctx.args["entry"]
    entry = await ctx.session.get(Entry, number) if (number := ident(ref)) else None
    competition = await ctx.session.get(Competition, entry.competition_id) if entry else None
    if entry is None or competition is None or entry.submitted_at is None:
        ctx.refuse(f"There is no submitted entry {ref[:12]}.")
        return
    if not await is_judge(ctx.session, competition.id or 0, ctx.member_id):
        ctx.reply(f"Only the judges of {competition.title} score its entries.")
        return
    if competition.announced_at is not None:
        ctx.reply("The winners are announced; the scores are final.")
        return
    try:
        points = parse_scores(ctx.args.get("scores", ""), competition.criteria)
    except ValueError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was saved.")
        return
    await score(ctx.session, entry, ctx.member_id, points)
    ctx.reply(f"Scored entry {entry.id}: {', '.join(f'{k} {v}' for k, v in points.items())}.")


async def standings(ctx: Context[CommandInvoked]) -> None:
    competition = await _competition(ctx, ctx.args["competition"])
    if competition is not None:
        ctx.reply(await board_message(ctx.session, competition))


async def board_message(session: Any, competition: Competition, top: int = 10) -> Message:
    board = (await leaderboard(session, competition.id or 0))[:top]
    names = await first_names(session, [s.member_id for s in board], nameless="#{id}")
    lines = [
        f"{rank}. {names.get(s.member_id, 'someone')}: {s.points:.1f} points"
        if s.judges
        else f"{rank}. {names.get(s.member_id, 'someone')}: not scored yet"
        for rank, s in enumerate(board, 1)
    ]
    return Message(
        title=f"Leaderboard: {competition.title}", body="\n".join(lines) or "No entries yet."
    )


async def announce(ctx: Context[CommandInvoked]) -> None:
    competition = await _competition(ctx, ctx.args["competition"])
    if competition is None:
        return
    if ctx.now < competition.submission_closes_at:
        ctx.reply("Submissions are still open; announce the winners after the deadline.")
        return
    if competition.announced_at is not None:
        ctx.reply("The winners are announced already.")
        return
    competition.announced_at = ctx.now
    result = RESULT.campaign(
        competition.id or 0, CHANNELS, ctx.now, created_by_member_id=ctx.member_id
    )
    ctx.session.add(result)
    await ctx.session.flush()
    ctx.signal(Launch(result.id or 0))
    ctx.reply(f"The winners of {competition.title} are being announced in every channel.")


def _register(competition: Competition) -> ActionButton:
    return SignUp(competition.id or 0).button("Register", Style.PRIMARY)


def composed(
    build: Callable[[Session, Competition, str], Awaitable[Message]],
) -> Callable[[Settings], Composer]:
    """A composer of one of the competition's messages, its deadlines shown in the community's
    timezone."""

    def made(settings: Settings) -> Composer:
        async def compose(session: Session, _campaign: Campaign, competition: Any) -> Render:
            message = await build(session, competition, settings.community.timezone)
            return lambda _row: message

        return compose

    return made


async def announcement(session: Session, competition: Competition, tz: str) -> Message:
    return Message(
        title=f"Competition: {competition.title}",
        body=competition.rules,
        fields=(
            MessageField("Prize", competition.prize or "—"),
            MessageField("Judged on", ", ".join(competition.criteria)),
            MessageField("Register by", _shown(competition.registration_closes_at, tz)),
            MessageField("Submit by", _shown(competition.submission_closes_at, tz)),
        ),
        buttons=(_register(competition),),
    )


async def last_call(session: Session, competition: Competition, tz: str) -> Message:
    register_by = _shown(competition.registration_closes_at, tz)
    return Message(
        title=f"Last day to register: {competition.title}",
        body=f"Registration closes {register_by}. Prize: {competition.prize or '—'}.",
        buttons=(_register(competition),),
    )


async def reminder(session: Session, competition: Competition, tz: str) -> Message:
    return Message(
        title=f"One day left: {competition.title}",
        body=f"Submissions close {_shown(competition.submission_closes_at, tz)}.",
        buttons=(Submit(competition.id or 0).button("Submit my entry"),),
    )


async def winners(session: Session, competition: Competition, _tz: str) -> Message:
    board = await board_message(session, competition, top=3)
    return Message(
        title=f"And the winners are… {competition.title}",
        body=board.body + (f"\n\nPrize: {competition.prize}" if competition.prize else ""),
    )


COMPETITION_SUBJECT = Subject("competition", Competition)
ANNOUNCEMENT = CampaignKind(
    "competition", COMPETITION_SUBJECT, composed(announcement), label="competition"
)
LAST_CALL = CampaignKind(
    "competition_last_call", COMPETITION_SUBJECT, composed(last_call), label="last call"
)
REMINDER = CampaignKind(
    "competition_reminder",
    COMPETITION_SUBJECT,
    composed(reminder),
    label="submission reminder",
    solicited=True,
)
RESULT = CampaignKind(
    "competition_result", COMPETITION_SUBJECT, composed(winners), label="competition winners"
)

# -- the report -----------------------------------------------------------------------------


class Standings(NamedTuple):
    competition: Competition
    leading: str


async def competitions_sheet(query: Query) -> Sheet[Standings]:
    """The newest competitions and who leads each."""
    rows = []
    for competition in await latest_competitions(query.session):
        board = await leaderboard(query.session, competition.id or 0)
        names = await first_names(query.session, [s.member_id for s in board[:3]])
        leading = ", ".join(f"{names[s.member_id]} {s.points:.1f}" for s in board[:3])
        rows.append(Standings(competition, leading or "no entries scored"))
    return Sheet(
        "Competitions",
        (
            Column("#", lambda r: r.competition.id),
            Column("competition", lambda r: r.competition.title),
            Column("leading", lambda r: r.leading),
        ),
        rows,
        sentence=lambda r: f"#{r.competition.id} **{r.competition.title}**: {r.leading}",
        empty="No competitions yet.",
    )


REPORT = Report("competitions", "Who leads each competition.", competitions_sheet, ACTIVITIES)


router = Router(
    "competitions",
    reports=(REPORT,),
    kinds=(ANNOUNCEMENT, LAST_CALL, REMINDER, RESULT),
    commands=(
        Command(
            "competition", ask, "Announce a competition with a prize and judges.", role=Role.HR
        ),
        Command(
            "judge",
            judge,
            "Name a judge (HR or an employee) for a competition.",
            role=Role.HR,
            args=(Arg("competition"), Arg("member")),
        ),
        Command(
            "entries",
            entries,
            "A competition's entries, for its judges.",
            role=Role.EMPLOYEE,
            args=(Arg("competition"),),
        ),
        Command(
            "score",
            scored,
            "Score an entry per criterion, 0 to 10 (judges).",
            role=Role.EMPLOYEE,
            args=(Arg("entry"), Arg("scores", "criterion=points …", rest=True)),
        ),
        Command(
            "leaderboard",
            standings,
            "A competition's leaderboard.",
            args=(Arg("competition"),),
        ),
        Command(
            "winners",
            announce,
            "Announce a competition's winners everywhere.",
            role=Role.HR,
            args=(Arg("competition"),),
        ),
    ),
    actions=(
        Action.taking(SignUp, signed_up),
        Action.taking(Submit, submitting),
    ),
    forms=(
        FormHandler(COMPETITION.id, created, lambda _ctx: COMPETITION, role=Role.HR),
        FormHandler(SUBMIT.id, submitted, lambda _ctx: SUBMIT),
    ),
)
