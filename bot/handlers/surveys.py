"""Surveys: the short questionnaire (satisfaction 1-5, would recommend 0-10, a comment) that
follows every event, and that HR can also send on its own to a segment through the outbox.

Pressing Answer records that the member opened that survey; the form they then submit belongs
to the survey they opened last and have not answered, so one form serves every survey.
"""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from bot.activities import ACTIVITIES
from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.kinds import CampaignKind, Launch, Render, Subject
from bot.messages import Message
from bot.parsing import ParseError, bounded
from bot.questionnaire import ANSWER, OpenSurvey, invitation, new_survey
from bot.reports import Column, Query, Report, Sheet
from bot.router import Action, Arg, Command, FormHandler, Role, Router, UsageError
from bot.segments import nobody_in, parse_filter
from storage.campaigns import Audience
from storage.db import Session
from storage.models import Campaign, Interaction, Survey, SurveyResponse
from storage.models.states import Fact
from storage.surveys import (
    Answers,
    has_answered,
    reached,
    summary,
    surveys_since,
    unanswered_opened,
)


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
    survey = await ctx.session.get(Survey, OpenSurvey.of(ctx).survey)
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

# -- the report -----------------------------------------------------------------------------


class SurveyRow(NamedTuple):
    survey: Survey
    answers: Answers
    reached: int


def _said(r: SurveyRow) -> str:
    a = r.answers
    return (
        f"#{r.survey.id} {r.survey.title}: {a.count} answered"
        + (f" of {r.reached} ({a.count / r.reached:.0%})" if r.reached else "")
        + (f"; satisfaction {a.satisfaction:.1f}/5" if a.satisfaction is not None else "")
        + (f", would recommend {a.recommend:.1f}/10" if a.recommend is not None else "")
        + f"; {a.comments} comments"
    )


async def surveys_sheet(query: Query) -> Sheet[SurveyRow]:
    """Per survey: how many got it, answered, and the average answers."""
    days = query.days(90)
    rows = [
        SurveyRow(s, await summary(query.session, s.id), await reached(query.session, s.id or 0))
        for s in await surveys_since(query.session, query.now - timedelta(days=days))
    ]
    return Sheet(
        f"Surveys, last {days} days",
        (
            Column("#", lambda r: r.survey.id),
            Column("survey", lambda r: r.survey.title),
            Column("answers", lambda r: r.answers.count),
            Column("reached", lambda r: r.reached),
            Column("satisfaction", lambda r: _mean(r.answers.satisfaction, 5)),
            Column("recommend", lambda r: _mean(r.answers.recommend, 10)),
        ),
        rows,
        sentence=_said,
        empty=f"No surveys in the last {days} days.",
    )


def _mean(value: float | None, scale: int) -> str:
    return f"{value:.1f}/{scale}" if value is not None else "—"


REPORT = Report(
    "surveys",
    "Answered of reached, satisfaction and would-recommend per survey.",
    surveys_sheet,
    ACTIVITIES,
    options=("days",),
    example="90",
)


router = Router(
    "surveys",
    reports=(REPORT,),
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
    actions=(Action.taking(OpenSurvey, opened),),
    forms=(FormHandler(ANSWER.id, answered, lambda _ctx: ANSWER),),
)
