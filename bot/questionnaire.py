"""The short questionnaire (satisfaction 1-5, would recommend 0-10, a comment): sent on its own
by the surveys feature, and after every event by the events feature, so it lives here, where
both take it from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.messages import FieldKind, Form, FormField, Message, Style
from bot.payloads import Payload
from storage.models import Survey

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


@dataclass(frozen=True, slots=True)
class OpenSurvey(Payload, action="survey.open"):
    survey: int


def new_survey(title: str, by: int, now: datetime) -> Survey:
    return Survey(title=title, questions=QUESTIONS, created_by_member_id=by, created_at=now)


def invitation(survey: Survey, body: str) -> Message:
    return Message(
        title=survey.title,
        body=body,
        buttons=(OpenSurvey(survey.id or 0).button("Answer", Style.PRIMARY),),
    )
