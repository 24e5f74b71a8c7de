"""Surveys: the short questionnaire (satisfaction 1-5, would recommend 0-10, a comment) that
follows every event, and that HR can also send on its own to a segment through the outbox.

Pressing Answer records that the member opened that survey; the form they then submit belongs
to the survey they opened last and have not answered, so one form serves every survey.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.kinds import CampaignKind, Launch
from bot.messages import ActionButton, FieldKind, Form, FormField, Message, Style
from bot.parsing import ParseError, bounded, ident
from bot.router import Action, Arg, Command, FormHandler, Role, Router, UsageError
from bot.segments import nobody_in, parse_filter, stored_filter
from storage.models import Campaign, Delivery, Interaction, Survey, SurveyResponse
from storage.models.states import Fact
from storage.surveys import has_answered, unanswered_opened

ANSWER = Form(
    id="survey.answer",
    title="How was it?",
    fields=(
        FormField(
            "satisfaction",
            "How satisfied are you? (1 to 5)",
            FieldKind.CHOICE,
            ("1", "2", "3", "4", "5"),
        ),
        FormField(
            "recommend",
            "Would you recommend it to a friend? (0 to 10)",
            FieldKind.CHOICE,
            tuple(str(n) for n in range(11)),
        ),
        FormField("comment", "Anything else? (optional)", required=False, max_length=500),
    ),
    submit_label="Send",
)
QUESTIONS = [{"name": f.name, "label": f.label} for f in ANSWER.fields]


def new_survey(title: str, by: int, now: Any) -> Survey:
    return Survey(title=title, questions=QUESTIONS, created_by_member_id=by, created_at=now)


def invitation(survey: Survey, body: str) -> Message:
    return Message(
        title=survey.title,
        body=body,
        buttons=(ActionButton("Answer", "survey.open", str(survey.id), Style.PRIMARY),),
    )


async def send(ctx: Context[CommandInvoked]) -> None:
    """`/survey How do you like the community? | function=engineering active=90d`"""
    title, _, filters = ctx.args["question"].partition("|")
    example = ctx.cmd("survey", "How do you like our community? | active=90d")
    try:
        segment = parse_filter(filters, ctx.settings)
    except UsageError as exc:
        ctx.reply(f"Hmm, {exc}. Nothing was sent. Example: `{example}`")
        return
    if not title.strip():
        ctx.reply(f"A survey needs its question before the |. Nothing was sent. `{example}`")
        return
    if await nobody_in(ctx, segment, filters):
        return
    try:
        question = bounded(title.strip(), "The question", 150)
    except ParseError as exc:
        ctx.reply(f"Hmm, {exc}. Nothing was sent.")
        return
    survey = new_survey(question, ctx.member_id, ctx.now)
    ctx.session.add(survey)
    await ctx.session.flush()
    campaign = Campaign(
        kind="survey",
        subject_type="survey",
        subject_id=survey.id or 0,
        audience={"channels": False, "dm": True, "filter": stored_filter(segment)},
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(campaign)
    await ctx.session.flush()
    ctx.signal(Launch(campaign.id or 0))
    ctx.audit("survey.send", survey=survey.id)
    ctx.reply(
        f"Survey #{survey.id} is going out to the members who agreed to hear from us"
        f"{' in that segment' if filters.strip() else ''}; `{ctx.cmd('stats', 'surveys')}` "
        "shows the answers."
    )


async def opened(ctx: Context[ActionPressed]) -> None:
    ref = ctx.event.value
    survey = await ctx.session.get(Survey, number) if (number := ident(ref)) else None
    if survey is None:
        ctx.reply("That survey is no longer available.", ephemeral=True)
        return
    if await has_answered(ctx.session, survey.id or 0, ctx.member_id):
        ctx.reply("You answered this survey already. Thank you!", ephemeral=True)
        return
    ctx.session.add(
        Interaction(
            member_id=ctx.member_id,
            kind=Fact.OPENED,
            subject_type="survey",
            subject_id=survey.id or 0,
            platform=ctx.platform,
            at=ctx.now,
        )
    )
    ctx.ask(ANSWER)


async def answered(ctx: Context[FormSubmitted]) -> None:
    survey_id = await unanswered_opened(ctx.session, ctx.member_id)
    if survey_id is None:
        ctx.reply("Thanks! I couldn't tell which survey this was for, so nothing was saved.")
        return
    values = ctx.event.values
    ctx.session.add(
        SurveyResponse(
            survey_id=survey_id,
            member_id=ctx.member_id,
            scores={key: int(values[key]) for key in ("satisfaction", "recommend")},
            comment=values["comment"] or None,
            at=ctx.now,
        )
    )
    ctx.dm("Thank you! It helps us do better.")


class SurveyComposer:
    async def __call__(self, session: Any, campaign: Campaign) -> Callable[[Delivery], Message]:
        survey = await session.get(Survey, campaign.subject_id)
        assert survey is not None
        message = invitation(survey, "Three quick questions; it takes a minute.")
        return lambda _row: message


router = Router(
    "surveys",
    kinds=(CampaignKind("survey", lambda _s: SurveyComposer()),),
    commands=(
        Command(
            "survey",
            send,
            "Send the short questionnaire to members: a title, then | and a segment.",
            role=Role.HR,
            args=(Arg("question", "a title, then | and /members filters", rest=True),),
        ),
    ),
    actions=(Action("survey.open", opened),),
    forms=(FormHandler(ANSWER.id, answered, lambda _ctx: ANSWER),),
)
