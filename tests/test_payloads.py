"""Button payloads pack and unpack themselves, refuse what a platform would not carry, and a
press whose value none of them made is refused before any handler reads it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from bot.events import ActionPressed
from bot.forms import Answer
from bot.payloads import LIMIT, Payload, PayloadError
from storage.models import Vote as VoteRow
from tests.chat import Chat


@dataclass(frozen=True, slots=True)
class Turn(Payload, action="test.turn"):
    token: str
    page: int


def test_a_payload_packs_and_unpacks_itself() -> None:
    button = Turn("abc", 3).button("Next")
    assert (button.action, button.value) == ("test.turn", "abc:3")
    assert Turn.unpack(button.value) == Turn("abc", 3)


@pytest.mark.parametrize("value", ["", "abc", "abc:x", "abc:-1", ":3", "abc:3:4", "a:" + "9" * 13])
def test_a_value_that_does_not_fit_does_not_unpack(value: str) -> None:
    assert Turn.unpack(value) is None


def test_a_payload_over_the_smallest_platform_limit_is_refused_when_made() -> None:
    with pytest.raises(PayloadError, match=f"over {LIMIT} bytes"):
        Turn("x" * 60, 1).pack()
    with pytest.raises(PayloadError):
        Turn("a:b", 1).pack()  # a separator inside a field that is not the last
    assert Answer.unpack("UX: research") == Answer("UX: research")  # the last field may


async def test_a_forged_press_is_refused_and_changes_nothing(chat: Chat) -> None:
    await chat.onboard("ana")
    await chat.say("/poll", "Which meetup?", "Rust\nGo", "single", "no", "in 2h", "-", "-",
                   as_="hr")  # fmt: skip
    await chat.app.worker.drain()
    for value in ("1:x", "999999999999999:0", "1", "💥"):
        origin = chat.console._origin()
        pressed = ActionPressed(origin=origin, action="poll.vote", value=value)
        start = len(chat.out.getvalue())
        await chat.app.handle(pressed)
        assert "that button is from a message I can't read" in chat.out.getvalue()[start:]
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(VoteRow))) == []
