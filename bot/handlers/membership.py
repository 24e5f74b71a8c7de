"""Joining the community: first contact, /join with or without a code, onboarding, /profile."""

from __future__ import annotations

from typing import Any

from bot.codes import code_wait
from bot.consent import record_consent, toggle
from bot.context import Context
from bot.events import (
    ActionPressed,
    CommandInvoked,
    FirstContact,
    FormSubmitted,
    HomeOpened,
    JoinRequested,
    MemberJoined,
    MemberLeft,
)
from bot.forms import clean_value
from bot.messages import ActionButton, FieldKind, Form, FormField, Message, MessageField, Style
from bot.router import Action, Arg, Command, FormHandler, On, Router
from storage.growth import find_code, refer, usable
from storage.members import ConsentKind, consents, first_source, has_joined, labels
from storage.models import InviteCode, Join, Label

ONBOARDING = "onboarding"
SOURCE_LABELS = {"alumni": "alumni", "rejection-letter": "past-candidate"}


async def greet(ctx: Context[FirstContact]) -> None:
    """The privacy notice, once, at first contact: what is kept, why, and how to object.
    Where the bot may not write first (Telegram), it waits for the first private message."""
    if ctx.capabilities.dm_needs_start and not ctx.in_dm:
        return
    ctx.member.privacy_notice_at = ctx.now
    ctx.member.privacy_version = ctx.settings.onboarding.privacy_version
    name = ctx.settings.community.name
    ctx.dm(
        Message(
            title=f"Hi from the {name}",
            body=(
                "Before we start, how we treat your data:\n"
                "• We keep your account id and name on this platform, what you tell us when you "
                "join (function, seniority, location, interests), your message choices, where "
                "you joined from and when you were last active. Never what you write in chat.\n"
                "• We use it to send you news and events that fit you and, only if you agree, "
                "invitations to apply for jobs.\n"
                f"• {ctx.cmd('mydata')} shows everything we hold, {ctx.cmd('forgetme')} "
                "erases it, and STOP ends all messages from us at any time."
            ),
        )
    )


def onboarding_form(ctx: Context[Any]) -> Form:
    member, options = ctx.member, ctx.settings.onboarding
    return Form(
        id=ONBOARDING,
        title="Join the community",
        intro="A few quick questions so we only send you what fits.",
        fields=(
            FormField(
                "function",
                "Your job function",
                FieldKind.CHOICE,
                options.functions,
                default=member.function,
            ),
            FormField(
                "seniority",
                "Your seniority",
                FieldKind.CHOICE,
                options.seniorities,
                default=member.seniority,
            ),
            FormField(
                "location",
                "Where are you based? (city, country or remote)",
                default=member.location,
                max_length=100,
            ),
            FormField(
                "interests",
                "What would you like to hear about? (e.g. backend, events)",
                required=False,
                default=member.interests,
            ),
            FormField(
                "news",
                "May we send you news and event invitations by direct message?",
                FieldKind.YES_NO,
            ),
            FormField(
                "jobs", "May we invite you to apply when a job fits your profile?", FieldKind.YES_NO
            ),
        ),
        submit_label="Join",
    )


async def join(ctx: Context[CommandInvoked]) -> None:
    code = ctx.args.get("code")
    if code:
        await _record_join(ctx, code)
    elif ctx.member.joined_at is None:
        await _record_join(ctx, None)
    if ctx.member.onboarded_at is not None:
        ctx.reply(f"You're already a member. {ctx.cmd('profile')} shows and edits your profile.")
        return
    ctx.ask(onboarding_form(ctx))


async def joined(ctx: Context[MemberJoined]) -> None:
    """The platform says someone joined the community (a group, a server, a workspace)."""
    ctx.member.left_at = None
    await _record_join(ctx, ctx.event.invite, typed=False)
    if ctx.member.onboarded_at is None:
        name = ctx.event.origin.user.name or "and welcome"
        if ctx.capabilities.dm_needs_start:  # the bot may not write first: answer in the group
            ctx.reply(
                f"Welcome, {name}! Message me privately and type {ctx.cmd('join')} to finish."
            )
        else:
            ctx.dm(
                Message(
                    "Welcome! Tell us a little about yourself so we only send what fits.",
                    buttons=(
                        ActionButton("Join the community", "join.start", style=Style.PRIMARY),
                    ),
                )
            )


REDEEM = Form(
    id="redeem",
    title="Redeem an invite code",
    fields=(FormField("code", "Your invite code", max_length=64),),
    submit_label="Redeem",
)


async def start_joining(ctx: Context[ActionPressed]) -> None:
    ctx.ask(onboarding_form(ctx))


async def ask_for_code(ctx: Context[ActionPressed]) -> None:
    ctx.ask(REDEEM)


async def redeemed(ctx: Context[FormSubmitted]) -> None:
    """A code typed into a form (Slack's App Home): the same attribution as `/join CODE`."""
    invite = await _record_join(ctx, ctx.event.values["code"])
    if invite is not None:
        ctx.dm(f"Thanks! Your code {invite.code} is noted.")
    if ctx.member.onboarded_at is None:
        ctx.ask(onboarding_form(ctx))


async def home(ctx: Context[HomeOpened]) -> None:
    ctx.publish_home(await home_message(ctx))


async def home_message(ctx: Context[Any]) -> Message:
    """The member's own page: their profile and choices, what is coming up, ways to act."""
    redeem = ActionButton("Redeem an invite code", "join.redeem")
    name = ctx.settings.community.name
    if ctx.member.onboarded_at is None:
        return Message(
            title=f"Welcome to the {name}",
            body="Join to hear about news, events and jobs that fit you.",
            buttons=(ActionButton("Join the community", "join.start", style=Style.PRIMARY), redeem),
        )
    profile = await profile_message(ctx)
    return Message(
        title=f"{name}: your profile",
        body="**Coming up:** nothing is scheduled yet.",
        fields=profile.fields,
        buttons=(*profile.buttons, redeem),
    )


async def join_requested(ctx: Context[JoinRequested]) -> None:
    """Through an invite that asks for approval: let in whoever holds a code still valid."""
    code = ctx.event.invite
    ctx.answer_join(bool(code) and await _valid_invite(ctx, code or "") is not None)


async def left(ctx: Context[MemberLeft]) -> None:
    ctx.member.left_at = ctx.now


async def _record_join(
    ctx: Context[Any], code: str | None, *, typed: bool = True
) -> InviteCode | None:
    """First touch wins; a later code is kept as a secondary touch. A bad code never stops
    anyone from joining (and only a code the member typed is worth a word about). Returns the
    code that counted, if any."""
    invite = None
    if code and typed and await _throttled(ctx):
        code = None
    elif code:
        invite = await _valid_invite(ctx, code)
        if invite is None and typed:
            ctx.reply(
                f"I couldn't find a valid invite code “{code[:32]}” (it may have expired or "
                "been used up). No problem: you're joining without one."
            )
    if invite is None and ctx.member.joined_at is not None:
        return None
    earlier = await has_joined(ctx.session, ctx.member_id)
    source = invite.source if invite else "direct"
    ctx.session.add(
        Join(
            member_id=ctx.member_id,
            invite_code_id=invite.id if invite else None,
            source=source,
            platform=ctx.platform,
            first_touch=not earlier,
            at=ctx.now,
        )
    )
    if not earlier:  # kept on the member too, so reports by source read one table
        ctx.member.first_source = source
    ctx.member.joined_at = ctx.member.joined_at or ctx.now
    ctx.member.left_at = None
    if invite is None:
        return None
    invite.uses += 1
    label = SOURCE_LABELS.get(invite.source)
    if label and label not in await labels(ctx.session, ctx.member_id):
        ctx.session.add(Label(member_id=ctx.member_id, name=label, created_at=ctx.now))
    refused = await refer(
        ctx.session, invite, ctx.member, ctx.now, burst=ctx.settings.pipeline.referral_burst
    )
    if refused in ("self", "circular"):
        ctx.reply("That's a referral code you can't use yourself, so it isn't counted.")
    return invite


async def _throttled(ctx: Context[Any]) -> bool:
    """Too many tries and the code is not even looked at."""
    wait = await code_wait(ctx)
    if wait is not None:
        ctx.reply(
            f"You've tried a lot of codes just now, so I can't check another until {wait}. "
            "You're still welcome to join without one."
        )
    return wait is not None


async def _valid_invite(ctx: Context[Any], ref: str) -> InviteCode | None:
    invite = await find_code(ctx.session, ref, ctx.platform)
    return invite if usable(invite, ctx.now) is None else None


async def onboarded(ctx: Context[FormSubmitted]) -> None:
    values, member = ctx.event.values, ctx.member
    member.function = values["function"]
    member.seniority = values["seniority"]
    member.location = values["location"]
    member.interests = values["interests"] or None
    first_time = member.onboarded_at is None
    member.onboarded_at = member.onboarded_at or ctx.now
    member.joined_at = member.joined_at or ctx.now
    current = await consents(ctx.session, ctx.member_id)
    for kind in ConsentKind:
        granted = values[kind.value] == "yes"
        if first_time or current[kind] != granted:
            await record_consent(ctx, kind, granted)
    intro = "Welcome aboard! " if first_time else "Saved. "
    ctx.dm(await profile_message(ctx, intro + "Here's your profile:"))
    ctx.publish_home(await home_message(ctx))


async def profile(ctx: Context[CommandInvoked]) -> None:
    field, value = ctx.args.get("field"), ctx.args.get("value")
    if field is None:
        ctx.dm(await profile_message(ctx))
        return
    if value is None:
        ctx.reply(f"What should your {field} be? For example: `{ctx.cmd('profile', field)} …`")
        return
    if ctx.member.onboarded_at is None:
        ctx.reply(f"You haven't joined yet: type {ctx.cmd('join')} first.")
        return
    spec = next(f for f in onboarding_form(ctx).fields if f.name == field)
    try:
        setattr(ctx.member, field, clean_value(spec, value))
    except ValueError as exc:
        ctx.refuse(f"{exc} Nothing was changed.")
        return
    ctx.dm(await profile_message(ctx, f"Saved your {field}."))


async def edit_profile(ctx: Context[ActionPressed]) -> None:
    ctx.ask(onboarding_form(ctx))


async def profile_message(ctx: Context[Any], intro: str = "") -> Message:
    member = ctx.member
    if member.onboarded_at is None:
        return Message(
            body=(intro + "\n" if intro else "")
            + f"You haven't joined yet: type {ctx.cmd('join')} to start.",
        )
    current = await consents(ctx.session, ctx.member_id)
    tags = await labels(ctx.session, ctx.member_id)
    source = await first_source(ctx.session, ctx.member_id)

    def on_off(kind: ConsentKind) -> str:
        return "on" if current[kind] else "off"

    fields = (
        MessageField("Function", member.function or "—"),
        MessageField("Seniority", member.seniority or "—"),
        MessageField("Location", member.location or "—"),
        MessageField("Interests", member.interests or "—"),
        MessageField("News by DM", on_off(ConsentKind.NEWS)),
        MessageField("Job invitations", on_off(ConsentKind.JOBS)),
        MessageField("Joined via", source or "direct"),
        *((MessageField("Labels", ", ".join(tags)),) if tags else ()),
    )
    buttons = (
        ActionButton("Edit profile", "profile.edit", style=Style.PRIMARY),
        *(
            toggle(kind, current[kind], label)
            for kind, label in ((ConsentKind.NEWS, "news"), (ConsentKind.JOBS, "job invitations"))
        ),
    )
    return Message(title="Your profile", body=intro, fields=fields, buttons=buttons)


PROFILE_FIELDS = ("function", "seniority", "location", "interests")

router = Router(
    "membership",
    commands=(
        Command(
            "join",
            join,
            "Join the community, with an invite code if you have one.",
            args=(Arg("code", "an invite code", required=False),),
            aliases=("start",),
        ),
        Command(
            "profile",
            profile,
            "Show your profile, or change one field of it.",
            args=(
                Arg("field", required=False, choices=PROFILE_FIELDS),
                Arg("value", required=False, rest=True),
            ),
        ),
    ),
    actions=(
        Action("profile.edit", edit_profile),
        Action("join.start", start_joining),
        Action("join.redeem", ask_for_code),
    ),
    forms=(
        FormHandler(ONBOARDING, onboarded, onboarding_form),
        FormHandler(REDEEM.id, redeemed, lambda _ctx: REDEEM),
    ),
    events=(
        On(FirstContact, greet),
        On(MemberJoined, joined),
        On(HomeOpened, home),
        On(JoinRequested, join_requested),
        On(MemberLeft, left),
    ),
)
