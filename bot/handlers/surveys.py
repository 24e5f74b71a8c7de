"""Surveys: the short questionnaire (satisfaction 1-5, would recommend 0-10, a comment) that
follows every event, and that HR can also send on its own to a segment through the outbox.

Pressing Answer records that the member opened that survey; the form they then submit belongs
to the survey they opened last and have not answered, so one form serves every survey.
"""

from __future__ import annotations

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.kinds import CampaignKind, Launch, Render, Subject
from bot.messages import Message
from bot.parsing import ParseError, bounded, ident
from bot.questionnaire import ANSWER, invitation, new_survey
from bot.router import Action, Arg, Command, FormHandler, Role, Router, UsageError
from bot.segments import nobody_in, parse_filter
from storage.campaigns import Audience
from storage.db import Session
from storage.models import Campaign, Interaction, Survey, SurveyResponse
from storage.models.states import Fact
from storage.surveys import has_answered, unanswered_opened


async def send(ctx: Context[CommandInvoked]) -> None:
    """`/survey How do you like the community? | function=engineering active=90d`"""
    title, _, filters = ctx.args["question"].partition("|")
    example = ctx.cmd("survey", "How do you like our community? | active=90d")
    try:
        segment = parse_filter(filters, ctx.settings)
    except UsageError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was sent. Example: `{example}`")
        return
    if not title.strip():
        ctx.refuse(f"A survey needs its question before the |. Nothing was sent. `{example}`")
        return
    if await nobody_in(ctx, segment, filters):
        return
    try:
        question = bounded(title.strip(), "The question", 150)
    except ParseError as exc:
        ctx.refuse(f"Hmm, {exc}. Nothing was sent.")
        return
    survey = new_survey(question, ctx.member_id, ctx.now)
    ctx.session.add(survey)
    await ctx.session.flush()
    audience = Audience(dm=True, segment=segment)
    campaign = SURVEY.campaign(
        survey.id or 0, audience, ctx.now, created_by_member_id=ctx.member_id
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
        ctx.refuse("Thanks! I couldn't tell which survey this was for, so nothing was saved.")
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


async def asked(_session: Session, _campaign: Campaign, survey: Survey) -> Render:
    message: Message = invitation(survey, "Three quick questions; it takes a minute.")
    return lambda _row: message


SURVEY = CampaignKind("survey", Subject("survey", Survey), lambda _s: asked, label="survey")

router = Router(
    "surveys",
    kinds=(SURVEY,),
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
