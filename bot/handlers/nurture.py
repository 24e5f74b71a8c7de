"""Nurture sequences (`/nurture`): steps each member walks at their own pace, each after a wait,
branching on what they do in chat. Not opened → the same item with another title; opened but
not finished → a shorter follow-up; voted, registered, attended, answered → a chosen step;
applied, STOP or Not for me → out. Every send goes through the outbox (consent, the cap)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers.content import CONTENT
from bot.handlers.events import EVENT
from bot.handlers.pipeline.kinds import INVITATION
from bot.handlers.polls import POLL
from bot.kinds import CampaignKind, Duty, Launch, Signal
from bot.messages import Message
from bot.parsing import bounded, duration, ident, options, whole
from bot.router import Arg, Command, Handler, Role, Router, UsageError
from bot.segments import parse_filter
from bot.settings import Settings
from storage.campaigns import Audience, list_members
from storage.content import NEXT_TITLE
from storage.db import Session
from storage.growth import code_named
from storage.members import ConsentKind, MemberFilter
from storage.models import (
    CommunityEvent,
    ContentItem,
    Enrollment,
    Member,
    Nurture,
    NurtureStep,
)
from storage.models.states import CampaignStatus, EnrollmentState, NurtureStatus
from storage.nurture import (
    SIGNALS,
    StepSends,
    newcomers,
    nurtures,
    signals,
    step_sends,
    steps_of,
    walking,
)

# A step's kind: the campaign kind that sends it (each its feature's) and the consent it needs.
STEPS: dict[str, tuple[CampaignKind, ConsentKind]] = {
    "content": (CONTENT, ConsentKind.NEWS),
    "poll": (POLL, ConsentKind.NEWS),
    "event": (EVENT, ConsentKind.NEWS),
    "job": (INVITATION, ConsentKind.JOBS),
}
STEP_KINDS = tuple(STEPS)
TRANSITIONS: dict[str, tuple[tuple[NurtureStatus, ...], NurtureStatus]] = {
    "start": ((NurtureStatus.DRAFT,), NurtureStatus.ACTIVE),
    "pause": ((NurtureStatus.ACTIVE,), NurtureStatus.PAUSED),
    "resume": ((NurtureStatus.PAUSED,), NurtureStatus.ACTIVE),
    "cancel": (
        (NurtureStatus.DRAFT, NurtureStatus.ACTIVE, NurtureStatus.PAUSED),
        NurtureStatus.CANCELLED,
    ),
}
RULES = ("wait", "unopened", "partial", "followup", *SIGNALS)
LONG = timedelta(days=365)
# The walk runs once a day, a few milliseconds earlier or later each time: what falls due
# within the hour is due now, so a wait of a day is a day, not two.
EARLY = timedelta(hours=1)


async def new(ctx: Context[CommandInvoked]) -> None:
    """`new NAME | code=FAIR`, `| event=3` or `| function=data active=30d` (a segment)."""
    name, _, entry_text = (part.strip() for part in ctx.args["definition"].partition("|"))
    if not name or not entry_text:
        raise UsageError("name it, then how members enter: `new Data folks | function=data`")
    first = entry_text.split()[0].lower()
    if first.startswith("code="):
        code = first.removeprefix("code=")
        if await code_named(ctx.session, code) is None:
            raise UsageError(f"there is no invite code {code[:32].upper()}")
        entry: dict[str, Any] = {"code": code}
    elif first.startswith("event="):
        entry = {"event": whole(first.removeprefix("event="), "event=", 1, 2**31 - 1)}
        if await ctx.session.get(CommunityEvent, entry["event"]) is None:
            raise UsageError(f"there is no event {entry['event']}")
    else:
        segment = parse_filter(entry_text, ctx.settings)
        entry = {"segment": segment.stored()}
    made = Nurture(
        name=bounded(name, "A name", 100),
        entry=entry,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(made)
    await ctx.session.flush()
    ctx.reply(
        f"Sequence #{made.id} {made.name} is a draft. Add steps, such as "
        f"`{ctx.cmd('nurture', f'step {made.id} content 12 unopened=3d')}`, then "
        f"`{ctx.cmd('nurture', f'start {made.id}')}`."
    )


async def _sequence(ctx: Context[Any], ref: str) -> Nurture:
    found = {n.id: n for n in await nurtures(ctx.session)}.get(ident(ref) or 0)
    if found is None:
        raise UsageError(f"there is no sequence {ref[:20]}")
    return found


async def step(ctx: Context[CommandInvoked]) -> None:
    """`step N KIND SUBJECT [wait=3d] [unopened=3d] [partial=2d followup=ID] [voted=STEP] …`"""
    sequence = await _sequence(ctx, ctx.args["sequence"])
    if sequence.status == NurtureStatus.CANCELLED:
        raise UsageError(f"sequence #{sequence.id} is cancelled")
    kind = ctx.args["kind"]
    subject = whole(ctx.args["subject"].lstrip("#"), "the subject", 1, 2**31 - 1)
    if await STEPS[kind][0].subject.row(ctx.session, subject) is None:
        raise UsageError(f"there is no {kind} {subject}")
    given, extra = options(ctx.args.get("rules", ""), RULES)
    if extra:
        raise UsageError(f"{extra[0][:20]} is not a rule ({', '.join(f'{r}=' for r in RULES)})")
    steps = await steps_of(ctx.session, sequence.id or 0)
    wait = duration(given["wait"], "wait=", LONG) if "wait" in given else timedelta(0)
    step = NurtureStep(
        nurture_id=sequence.id or 0,
        position=len(steps),
        kind=kind,
        subject_id=subject,
        wait_hours=int(wait.total_seconds() // 3600),
        goto={s: whole(given[s], f"{s}=", 1, 100) - 1 for s in SIGNALS if s in given},
    )
    if kind == "content":
        if "unopened" in given:
            step.unopened_days = duration(given["unopened"], "unopened=", LONG).days or 1
        if "partial" in given:
            if "followup" not in given:
                raise UsageError("partial= needs followup=CONTENT, the shorter piece to send")
            step.partial_days = duration(given["partial"], "partial=", LONG).days or 1
            step.followup_content_id = whole(given["followup"], "followup=", 1, 2**31 - 1)
            if await ctx.session.get(ContentItem, step.followup_content_id) is None:
                raise UsageError(f"there is no content {step.followup_content_id} to follow up")
    elif {"unopened", "partial", "followup"} & set(given):
        raise UsageError("unopened=, partial= and followup= are for content steps")
    ctx.session.add(step)
    ctx.reply(f"Sequence #{sequence.id}, step {step.position + 1}: {_describe(step)}.")


def _sent(sends: StepSends | None) -> str:
    """What the outbox did with a step's messages: sent, still going, and held back (the
    frequency cap, no consent) with why."""
    if sends is None:
        return "sent 0"
    parts = [f"sent {sends.sent}"]
    if sends.waiting:
        parts.append(f"on its way {sends.waiting}")
    if sends.held:
        why = ", ".join(f"{reason} {n}" for reason, n in sorted(sends.held.items()))
        parts.append(f"held back {sum(sends.held.values())} ({why})")
    return ", ".join(parts)


def _describe(step: NurtureStep) -> str:
    parts = [f"{step.kind} #{step.subject_id}", f"after {step.wait_hours}h"]
    if step.unopened_days:
        parts.append(f"not opened in {step.unopened_days}d: another title")
    if step.partial_days:
        parts.append(f"opened, not finished in {step.partial_days}d: #{step.followup_content_id}")
    parts += [f"{s} → step {p + 1}" for s, p in step.goto.items()]
    return ", ".join(parts)


def status(action: str) -> Handler:
    """start, pause, resume or cancel a sequence."""

    async def change(ctx: Context[CommandInvoked]) -> None:
        await _change(ctx, action, ctx.args["sequence"])

    return change


async def _change(ctx: Context[CommandInvoked], action: str, ref: str) -> None:
    sequence = await _sequence(ctx, ref)
    sources, target = TRANSITIONS[action]
    if sequence.status not in sources:
        raise UsageError(f"sequence #{sequence.id} is {sequence.status}")
    steps = await steps_of(ctx.session, sequence.id or 0)
    if target is NurtureStatus.ACTIVE:
        if not steps:
            raise UsageError(f"sequence #{sequence.id} has no steps yet")
        for step in steps:  # a branch may name a later step, but it must exist by now
            for signal, goto in step.goto.items():
                if not 0 <= goto < len(steps):
                    raise UsageError(
                        f"step {step.position + 1}'s {signal}={goto + 1} points past the "
                        f"last step ({len(steps)}): add that step, or a new one without it"
                    )
        sequence.started_at = sequence.started_at or ctx.now
    if target is NurtureStatus.CANCELLED:
        for e in await walking(ctx.session, sequence.id or 0):
            e.state, e.reason, e.ended_at = EnrollmentState.LEFT, "cancelled", ctx.now
    sequence.status = target
    ctx.audit(f"nurture.{action}", nurture=sequence.id)
    ctx.reply(f"Sequence #{sequence.id} {sequence.name}: {sequence.status}.")


async def show(ctx: Context[CommandInvoked]) -> None:
    sequence = await _sequence(ctx, ctx.args["sequence"])
    steps = await steps_of(ctx.session, sequence.id or 0)
    sends = await step_sends(ctx.session, [s.id for s in steps if s.id is not None])
    lines = [
        f"{s.position + 1}. {_describe(s)} · entered {s.entered}, "
        f"{_sent(sends.get(s.id or 0))}, opened {s.opened}, moved on {s.moved_on}, left {s.left}"
        for s in steps
    ]
    ctx.reply(
        Message(
            title=f"Sequence #{sequence.id} {sequence.name} ({sequence.status})",
            body="\n".join(lines) or "No steps yet.",
        )
    )


async def listing(ctx: Context[CommandInvoked]) -> None:
    lines = [f"#{n.id} {n.name} · {n.status}" for n in await nurtures(ctx.session)]
    example = ctx.cmd("nurture", "new Data folks | function=data")
    ctx.reply(Message(title="Sequences", body="\n".join(lines) or f"None yet: `{example}`"))


# -- walking: once a day, every member one step further where it is time -------------------


async def advance(session: Any, now: datetime, _settings: Settings) -> list[Signal]:
    """Let newcomers in, then move every member who is due; the sends, as launches."""
    launches: list[Signal] = []
    for sequence in await nurtures(session):
        if sequence.status != NurtureStatus.ACTIVE:
            continue
        steps = await steps_of(session, sequence.id or 0)
        if not steps:
            continue
        segment = sequence.entry.get("segment")
        flt = None if segment is None else Audience(segment=MemberFilter.of(segment)).members()
        for member_id in await newcomers(session, sequence, flt, now):
            session.add(
                Enrollment(
                    nurture_id=sequence.id or 0,
                    member_id=member_id,
                    due_at=now + timedelta(hours=steps[0].wait_hours),
                    entered_at=now,
                )
            )
            steps[0].entered += 1
        await session.flush()
        outgoing: dict[tuple[int, str], list[int]] = defaultdict(list)
        for enrollment in await walking(session, sequence.id or 0):
            await _walk(session, enrollment, steps, now, outgoing)
        for (position, what), members in outgoing.items():
            step = steps[position]
            if what == "retitle":  # each member gets a title they were not sent before
                campaign = await send(session, step, members, now, title=NEXT_TITLE)
            elif what == "followup":
                campaign = await send(
                    session, step, members, now, content_id=step.followup_content_id
                )
            else:
                campaign = await send(session, step, members, now)
            launches.append(Launch(campaign))
    return launches


async def _walk(
    session: Any,
    e: Enrollment,
    steps: list[NurtureStep],
    now: datetime,
    outgoing: dict[tuple[int, str], list[int]],
) -> None:
    for _ in range(len(steps) + 1):  # a jump can make the next step due at once
        step = steps[e.position]
        if e.sent_at is None:
            if now + EARLY >= e.due_at:
                outgoing[(e.position, "send")].append(e.member_id)
                e.sent_at = e.due_at = now
            return
        member = await session.get(Member, e.member_id)
        if member is None or member.erased_at is not None:
            return _leave(e, step, now, "erased")
        if not (member.consent_news or member.consent_jobs):
            return _leave(e, step, now, "stopped")
        seen = await signals(session, e.member_id, step, e.sent_at)
        if "left" in seen:
            return _leave(e, step, now, "applied or not for me")
        if "opened" in seen and not e.opened:
            e.opened, step.opened = True, step.opened + 1
        jump = next((step.goto[s] for s in SIGNALS if s in seen and s in step.goto), None)
        if jump is not None and 0 <= jump < len(steps):
            _move(e, step, steps[jump], now)
            continue
        if step.kind == "content" and _rule(e, step, seen, now, outgoing):
            return
        following = e.position + 1
        if following == len(steps):
            watch = max(step.unopened_days or 0, step.partial_days or 0, 1)
            if now + EARLY >= e.due_at + timedelta(days=watch):
                e.state, e.ended_at = EnrollmentState.DONE, now
                step.moved_on += 1
            return
        if now + EARLY < e.sent_at + timedelta(hours=steps[following].wait_hours):
            return
        _move(e, step, steps[following], e.sent_at)


def _rule(
    e: Enrollment,
    step: NurtureStep,
    seen: set[str],
    now: datetime,
    outgoing: dict[tuple[int, str], list[int]],
) -> bool:
    """A content step's own branches; whether one fired (the member waits for it then)."""
    assert e.sent_at is not None
    unopened = step.unopened_days and not e.opened and not e.retitled
    if unopened and now + EARLY >= e.due_at + timedelta(days=step.unopened_days or 0):
        outgoing[(e.position, "retitle")].append(e.member_id)
        e.retitled, e.due_at = True, now
        return True
    partial = step.partial_days and e.opened and "finished" not in seen and not e.followed_up
    if partial and now + EARLY >= e.sent_at + timedelta(days=step.partial_days or 0):
        outgoing[(e.position, "followup")].append(e.member_id)
        e.followed_up, e.due_at = True, now
        return True
    return False


def _move(e: Enrollment, step: NurtureStep, to: NurtureStep, since: datetime) -> None:
    step.moved_on += 1
    to.entered += 1
    e.position, e.sent_at = to.position, None
    e.due_at = since + timedelta(hours=to.wait_hours)
    e.opened = e.retitled = e.followed_up = False


async def send(
    session: Session,
    step: NurtureStep,
    members: Sequence[int],
    now: datetime,
    *,
    content_id: int | None = None,
    title: str | None = None,
) -> int:
    """A campaign of the step's kind to `members` (through the outbox: consent and the cap
    decide), marked with its step so the step's numbers are the outbox's; its id, to launch."""
    kind, consent = STEPS[step.kind]
    audience = Audience(dm=True, consent=consent, nurture_step=step.id, title=title)
    subject = content_id or step.subject_id
    campaign = kind.campaign(subject, audience, now, status=CampaignStatus.SCHEDULED)
    await list_members(session, campaign, members)
    return campaign.id or 0


def _leave(e: Enrollment, step: NurtureStep, now: datetime, why: str) -> None:
    e.state, e.reason, e.ended_at = EnrollmentState.LEFT, why, now
    step.left += 1


router = Router(
    "nurture",
    commands=(
        Command(
            "nurture",
            listing,
            "Nurture sequences: members walk their steps, each after its wait, branching on "
            "what they do.",
            role=Role.HR,
            subcommands=(
                Command(
                    "new",
                    new,
                    "A draft sequence, and how members enter it: code=, event= or a segment.",
                    args=(Arg("definition", "NAME | ENTRY", rest=True),),
                    role=Role.HR,
                    example="Data folks | function=data active=30d",
                ),
                Command(
                    "step",
                    step,
                    "Add a step: content, poll, event or job, after wait=; content branches "
                    "unopened= (another title) and partial= followup= (a shorter piece); a "
                    "signal (voted=, registered=, attended=, answered=, opened=, finished=) "
                    "jumps to a step.",
                    args=(
                        Arg("sequence", "its number"),
                        Arg("kind", choices=STEP_KINDS),
                        Arg("subject", "the content, poll, event or job number"),
                        Arg("rules", "wait=3d unopened=3d …", required=False, rest=True),
                    ),
                    role=Role.HR,
                    example="1 content 12 wait=2d unopened=3d",
                ),
                *(
                    Command(
                        action,
                        status(action),
                        f"{verb} a sequence.",
                        args=(Arg("sequence", "its number"),),
                        role=Role.HR,
                        example="1",
                    )
                    for action, verb in (
                        ("start", "Start"),
                        ("pause", "Pause"),
                        ("resume", "Resume"),
                        ("cancel", "Cancel"),
                    )
                ),
                Command(
                    "show",
                    show,
                    "A sequence's steps and each step's numbers.",
                    args=(Arg("sequence", "its number"),),
                    role=Role.HR,
                    example="1",
                ),
            ),
        ),
    ),
    duties=(Duty("nurture", advance, hour=9),),
)
