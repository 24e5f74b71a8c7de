"""Events (information sessions, live broadcasts, open days): HR announces one with Register;
members register (a calendar file confirms it) or join the waitlist, which moves up when
someone cancels; registrants are reminded through the outbox, check in with the code HR
reveals during the event, and get a short survey after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.activities import ACTIVITIES, CHANNELS, Step, plan, registrants
from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.kinds import CampaignKind, Render, Subject
from bot.messages import (
    ActionButton,
    Attachment,
    DirectTarget,
    FieldKind,
    Form,
    FormField,
    LinkButton,
    Message,
    MessageField,
    Style,
)
from bot.parsing import ParseError, clock, ident, moment
from bot.payloads import Payload
from bot.pictures import grouped_png
from bot.questionnaire import invitation, new_survey
from bot.reports import Chart, Column, Query, Report, Sheet
from bot.router import Action, Arg, Command, FormHandler, Role, Router
from storage.db import Session
from storage.events import (
    EventNumbers,
    cancel,
    check_in,
    events_since,
    new_checkin_code,
    on_now_for,
    register,
    registered_count,
    upcoming,
)
from storage.events import numbers as event_numbers
from storage.growth import create_code
from storage.members import MemberFilter, reachable_account
from storage.models import (
    Campaign,
    CommunityEvent,
    Survey,
)
from storage.models.states import EventKind

KINDS: dict[str, str] = {
    EventKind.INFO_SESSION: "Information session",
    EventKind.LIVE_BROADCAST: "Live broadcast",
    EventKind.OPEN_DAY: "Open day",
    EventKind.OTHER: "Event",
}

EVENT_FORM = Form(
    id="event.create",
    title="Announce an event",
    fields=(
        FormField("kind", "Kind", FieldKind.CHOICE, tuple(KINDS)),
        FormField("title", "Title", max_length=120),
        FormField("description", "What it is about", FieldKind.LONG_TEXT, max_length=1500),
        FormField("starts", "Starts: 2026-12-10 18:00", max_length=20),
        FormField("ends", "Ends: 2026-12-10 19:30 (or just 19:30)", max_length=20),
        FormField("where", "Where: a place, or the streaming link", max_length=300),
        FormField("capacity", "Places (optional: no limit)", required=False, max_length=6),
        FormField("tour", "Virtual tour link (optional)", required=False, max_length=300),
    ),
    submit_label="Announce",
)


def _at(text: str, zone: ZoneInfo, day: datetime | None = None) -> datetime:
    text = " ".join(text.split())
    try:
        if day is not None and len(text) <= 5:
            hour = clock(text)
            local = day.astimezone(zone)
            return local.replace(hour=hour.hour, minute=hour.minute, second=0, microsecond=0)
        return moment(text, str(zone))
    except ParseError as exc:
        raise ValueError(f"“{text[:20]}” is not a time like 2026-12-10 18:00 ({exc})") from None


def when(event: CommunityEvent) -> str:
    zone = ZoneInfo(event.timezone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    return f"{start:%a %d %b %Y, %H:%M}–{end:%H:%M} ({event.timezone})"


def ics(event: CommunityEvent) -> Attachment:
    """The registration as a calendar entry (RFC 5545, written by icalendar)."""
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Roost//Talent community//EN")
    calendar.add("version", "2.0")
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.id}@roost")
    entry.add("dtstamp", event.created_at)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    entry.add("description", event.description)
    if event.place:
        entry.add("location", event.place)
    if event.stream_url:
        entry.add("url", event.stream_url)
    calendar.add_component(entry)
    return Attachment(f"event-{event.id}.ics", calendar.to_ical(), "text/calendar")


async def ask(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(EVENT_FORM)


async def created(ctx: Context[FormSubmitted]) -> None:
    values, tz = ctx.event.values, ctx.settings.community.timezone
    zone = ZoneInfo(tz)
    try:
        starts = _at(values["starts"], zone)
        ends = _at(values["ends"], zone, starts)
        capacity = int(values["capacity"]) if values["capacity"] else None
        if capacity is not None and capacity < 1:
            raise ValueError("places must be a positive number")
        if starts <= ctx.now:
            raise ValueError("the start has passed")
        if ends <= starts:
            raise ValueError("the event ends before it starts")
    except ValueError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was announced; {ctx.cmd('event')} starts again.")
        return
    where = values["where"]
    link = where if where.startswith(("https://", "http://")) else None
    survey = new_survey(f"How was {values['title']}?", ctx.member_id, ctx.now)
    ctx.session.add(survey)
    await ctx.session.flush()
    event = CommunityEvent(
        kind=values["kind"],
        title=values["title"],
        description=values["description"],
        starts_at=starts,
        ends_at=ends,
        timezone=tz,
        place=None if link else where,
        stream_url=link,
        tour_url=values["tour"] or None,
        capacity=capacity,
        survey_id=survey.id,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(event)
    await ctx.session.flush()
    code = await create_code(
        ctx.session,
        source="event",
        campaign=f"event-{event.id}",
        created_by=ctx.member_id,
        now=ctx.now,
    )
    event.invite_code_id = code.id
    asked = registrants(MemberFilter(registered_for=event.id))
    steps: list[Step] = [(EVENT, CHANNELS, ctx.now)]
    ahead = ctx.settings.engagement.event_reminders_hours
    steps += [(REMINDER, asked, starts - timedelta(hours=hours)) for hours in ahead]
    await plan(ctx, event.id or 0, [*steps, (AFTER, asked, ends)])
    ctx.audit("event.create", event=event.id)
    ctx.reply(
        f"Event #{event.id} is announced in every community channel. Its invite code "
        f"{code.code} counts who it brings in; {ctx.cmd('checkincode', str(event.id))} "
        "reveals the check-in code when it starts."
    )


async def _event(ctx: Context[Any], number: int) -> CommunityEvent | None:
    event = await ctx.session.get(CommunityEvent, number)
    if event is None or event.cancelled_at is not None:
        ctx.refuse("That event is no longer available.", ephemeral=True)
        return None
    return event


@dataclass(frozen=True, slots=True)
class Register(Payload, action="event.register"):
    event: int


@dataclass(frozen=True, slots=True)
class CancelPlace(Payload, action="event.cancel"):
    event: int


async def signed_up(ctx: Context[ActionPressed]) -> None:
    event = await _event(ctx, Register.of(ctx).event)
    if event is None:
        return
    if event.starts_at <= ctx.now:
        ctx.reply("Registration has closed: the event has started.", ephemeral=True)
        return
    status = await register(ctx.session, event, ctx.member_id, ctx.now)
    if status == "already":
        ctx.reply(f"You're already on the list for {event.title}.", ephemeral=True)
    elif status == "waitlisted":
        ctx.dm(
            f"{event.title} is full, so you're on the waitlist: you'll hear from me as soon "
            "as a place frees up."
        )
    else:
        ctx.dm(_confirmation(event))


def _confirmation(event: CommunityEvent, intro: str = "You're registered!") -> Message:
    where = event.place or event.stream_url or "—"
    return Message(
        title=f"{intro} {event.title}",
        body="Add it to your calendar with the file below. I'll remind you a day and an hour "
        "before.",
        fields=(MessageField("When", when(event), inline=False), MessageField("Where", where)),
        buttons=(CancelPlace(event.id or 0).button("Cancel my place"),),
        attachment=ics(event),
    )


async def cancelled(ctx: Context[ActionPressed]) -> None:
    event = await _event(ctx, CancelPlace.of(ctx).event)
    if event is None:
        return
    promoted = await cancel(ctx.session, event, ctx.member_id)
    ctx.dm(f"Your place at {event.title} is cancelled. Thanks for letting us know.")
    if promoted is None:
        return
    account = await reachable_account(ctx.session, promoted)
    if account is not None:
        target = DirectTarget(account.platform, account.platform_user_id, account.dm_chat_id)
        ctx.send(target, _confirmation(event, "A place freed up: you're registered for"))


async def listing(ctx: Context[CommandInvoked]) -> None:
    found = await upcoming(ctx.session, ctx.now)
    if not found:
        ctx.reply("Nothing is planned right now; watch the community channel.")
        return
    for event in found[:5]:
        ctx.reply(await announcement(ctx.session, event))


async def reveal(ctx: Context[CommandInvoked]) -> None:
    number = ident(ctx.args["event"])
    event = await _event(ctx, number or 0)
    if event is None:
        return
    code = new_checkin_code(event)
    ctx.audit("event.checkin_code", event=event.id)
    ctx.dm(
        f"Check-in code for {event.title}: **{code}**. Tell the room (or the stream); members "
        f"type {ctx.cmd('checkin', code)}. A new code replaces this one."
    )


async def checking_in(ctx: Context[CommandInvoked]) -> None:
    """A member types the code: for the event they are registered for that is on now."""
    event = await on_now_for(ctx.session, ctx.member_id, ctx.now)
    if event is None:
        ctx.reply("You're not registered for an event that is on now.", ephemeral=True)
        return
    result = await check_in(ctx.session, event, ctx.member_id, ctx.args["code"], ctx.now)
    ctx.reply(
        {
            "attended": f"Welcome to {event.title}! You're checked in.",
            "already": "You're checked in already.",
            "not registered": "You're not registered for this event.",
            "not open": "Check-in opens half an hour before the start.",
            "no code": "The check-in code hasn't been given yet; it's announced at the event.",
            "wrong": "That's not the code; please check it and try again.",
            "locked": "Too many wrong codes, so check-in is closed for you. Please ask the hosts.",
        }[result],
        ephemeral=True,
    )


async def announcement(session: Any, event: CommunityEvent) -> Message:
    taken = await registered_count(session, event.id or 0)
    places = (
        f"{max(event.capacity - taken, 0)} of {event.capacity}"
        if event.capacity is not None
        else "no limit"
    )
    buttons: list[ActionButton | LinkButton] = [
        Register(event.id or 0).button("Register", Style.PRIMARY)
    ]
    if event.tour_url:
        buttons.append(LinkButton("Virtual tour", event.tour_url))
    return Message(
        title=f"{KINDS.get(event.kind, 'Event')}: {event.title}",
        body=event.description,
        fields=(
            MessageField("When", when(event), inline=False),
            MessageField("Where", event.place or event.stream_url or "—"),
            MessageField("Places left", places),
        ),
        buttons=tuple(buttons),
    )


async def announced(session: Session, _campaign: Campaign, event: CommunityEvent) -> Render:
    message = await announcement(session, event)
    return lambda _row: message


async def reminded(_session: Session, _campaign: Campaign, event: CommunityEvent) -> Render:
    message = Message(
        title=f"Reminder: {event.title}",
        body=f"See you {when(event)}.",
        fields=(MessageField("Where", event.place or event.stream_url or "—"),),
        buttons=(CancelPlace(event.id or 0).button("Cancel my place"),),
    )
    return lambda _row: message


async def surveyed(session: Session, _campaign: Campaign, event: CommunityEvent) -> Render:
    survey = await session.get(Survey, event.survey_id)
    assert survey is not None  # made with the event
    message = invitation(survey, "Three quick questions, so the next one is even better.")
    return lambda _row: message


EVENT_SUBJECT = Subject("event", CommunityEvent)
EVENT = CampaignKind("event", EVENT_SUBJECT, lambda _s: announced, label="event")
REMINDER = CampaignKind(
    "event_reminder", EVENT_SUBJECT, lambda _s: reminded, label="event reminder", solicited=True
)
AFTER = CampaignKind(
    "event_survey", EVENT_SUBJECT, lambda _s: surveyed, label="event survey", solicited=True
)

# -- the report -----------------------------------------------------------------------------


class EventRow(NamedTuple):
    event: CommunityEvent
    n: EventNumbers


def _share(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "—"


def _score(value: float | None, scale: int) -> str:
    return f"{value:.1f}/{scale}" if value is not None else "—"


async def events_sheet(query: Query) -> Sheet[EventRow]:
    """Per event: registrations, attendance, new members through its code, satisfaction."""
    days = query.days(90)
    events = await events_since(query.session, query.now - timedelta(days=days))
    rows = [EventRow(e, await event_numbers(query.session, e)) for e in events]

    async def draw(svg: bool) -> bytes:
        return await grouped_png(
            "Events: registered, attended, new members",
            [f"#{r.event.id}" for r in rows],
            [("registered", [r.n.registered for r in rows]),
             ("attended", [r.n.attended for r in rows]),
             ("new members", [r.n.new_members for r in rows])],
            svg=svg,
        )  # fmt: skip

    return Sheet(
        "Events",
        (
            Column("#", lambda r: r.event.id),
            Column("event", lambda r: r.event.title),
            Column("registered", lambda r: r.n.registered),
            Column("waitlisted", lambda r: r.n.waitlisted),
            Column("attended", lambda r: r.n.attended),
            Column("new members", lambda r: r.n.new_members),
            Column("satisfaction", lambda r: _score(r.n.satisfaction, 5)),
            Column("would recommend", lambda r: _score(r.n.recommend, 10)),
        ),
        rows,
        sentence=lambda r: (
            f"#{r.event.id} **{r.event.title}**: {r.n.registered} registered"
            + (f" (+{r.n.waitlisted} waiting)" if r.n.waitlisted else "")
            + f", {r.n.attended} attended ({_share(r.n.attendance)}), "
            f"{r.n.new_members} new members through its code; "
            f"satisfaction {_score(r.n.satisfaction, 5)}, "
            f"would recommend {_score(r.n.recommend, 10)}, "
            f"survey answered by {_share(r.n.response_rate)}"
        ),
        chart=Chart("Registered, attended and new members per event", draw),
        empty=f"No events in the last {days} days or planned.",
    )


REPORT = Report(
    "events",
    "Registered, attended, new members and satisfaction per event.",
    events_sheet,
    ACTIVITIES,
    options=("days",),
    example="90",
)


router = Router(
    "events",
    reports=(REPORT,),
    kinds=(EVENT, REMINDER, AFTER),
    commands=(
        Command(
            "event",
            ask,
            "Announce an event: information session, broadcast, open day.",
            role=Role.HR,
        ),
        Command("events", listing, "What is coming up, with Register buttons."),
        Command(
            "checkincode",
            reveal,
            "Reveal a new check-in code for an event that is on.",
            role=Role.HR,
            args=(Arg("event", "an event number"),),
        ),
        Command("checkin", checking_in, "Check in at an event with its code.", args=(Arg("code"),)),
    ),
    actions=(
        Action.taking(Register, signed_up),
        Action.taking(CancelPlace, cancelled),
    ),
    forms=(FormHandler(EVENT_FORM.id, created, lambda _ctx: EVENT_FORM, role=Role.HR),),
)
