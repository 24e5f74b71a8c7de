"""A survey HR sends on its own: it reaches only members of the segment who agreed to hear
from us, answers are kept once per member, and HR sees them summarised."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.settings import LimitSettings, Settings
from storage.models import Delivery, SurveyResponse
from tests.chat import Chat


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"limits": LimitSettings(commands_per_minute=1000)})


async def test_a_survey_to_a_segment(chat: Chat) -> None:
    await chat.onboard("ana", news="yes")
    await chat.onboard("ben", news="no")
    await chat.onboard("cy", function="design", news="yes")
    seen = await chat.say("/survey How do you like our community? | function=engineering", as_="hr")
    assert (
        "Survey #1 is going out to the members who agreed to hear from us in that segment" in seen
    )
    await chat.app.worker.drain()
    shown = chat.out.getvalue()
    assert "[DM to ana]\n== How do you like our community? ==" in shown
    assert "[DM to ben]\n== How do you like" not in shown  # no consent
    assert "[DM to cy]\n== How do you like" not in shown  # not in the segment
    async with chat.app.db.session() as session:
        reasons = sorted(str(r.reason) for r in await session.exec(select(Delivery)))
    assert reasons == ["None", "no consent"]

    seen = await chat.say("1", "4", "8", "More events in Lisbon", as_="ana")
    assert "Thank you! It helps us do better." in seen
    seen = await chat.say("/stats surveys", as_="hr")
    assert (
        "#1 How do you like our community?: 1 answered of 1 (100%); satisfaction 4.0/5, "
        "would recommend 8.0/10; 1 comments"
    ) in seen
    async with chat.app.db.session() as session:
        answers = list(await session.exec(select(SurveyResponse)))
    assert [(a.scores, a.comment) for a in answers] == [
        ({"satisfaction": 4, "recommend": 8}, "More events in Lisbon")
    ]
    seen = await chat.say("/survey Again? | colour=blue", as_="hr")
    assert "colour=blue is not a filter" in seen and "Nothing was sent" in seen
