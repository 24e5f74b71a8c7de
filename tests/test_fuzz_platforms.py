"""Fuzzing the platforms' ways in: whatever a member types on Telegram or Slack reaches the core
through the real library and gets an answer without an error, and whatever else reaches the
webhook (a body of any shape, a secret or signature right or wrong) gets no server error and
is never handled unless it is signed."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime

import aiohttp
import pytest
from hypothesis import strategies as st

from bot.clock import ManualClock
from storage.db import Database
from tests.fuzz import JSON, WORD, Errors, examples, lines
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import SECRET, roost_on_telegram

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ANY_BODY = st.one_of(JSON.map(json.dumps), WORD, st.binary(max_size=64).map(repr))


@pytest.fixture
def database(sqlite_db: Database) -> Iterator[tuple[Database, Errors]]:
    """The store, and every ERROR logged meanwhile."""
    errors = Errors()
    logging.getLogger().addHandler(errors)
    yield sqlite_db, errors
    logging.getLogger().removeHandler(errors)


def update(line: str, user_id: int, update_id: int) -> dict[str, object]:
    """The update Telegram sends for `line` typed in a private chat."""
    command = line.split()[0] if line.startswith("/") and line.strip() else ""
    entities = [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": line[:20] or "x"},
            "text": line,
            "entities": entities,
        },
    }


async def test_whatever_reaches_telegram_gets_an_answer_and_no_error(
    database: tuple[Database, Errors],
) -> None:
    db, errors = database
    async with roost_on_telegram(db, ManualClock(START), mode="webhook") as running:
        ana = running.user("Ana")
        for line in examples("telegram lines", lines(), 20):
            assert (await running.say(ana, line)).strip(), f"no answer to {line!r}"
        url = running.public_webhook()
        async with aiohttp.ClientSession() as http:
            odd = st.tuples(ANY_BODY | WORD.map(lambda w: json.dumps(update(w, ana.id, 9))),
                            st.sampled_from([SECRET, "", "wrong"]))  # fmt: skip
            for number, (body, secret) in enumerate(examples("telegram bodies", odd, 30)):
                body = body.replace('"update_id": 9', f'"update_id": {9000 + number}')
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                handled = running.app.handled
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    assert response.status < 500, (body, response.status)
                    if secret != SECRET:
                        assert response.status == 401 and running.app.handled == handled
        await running.say(ana, "/help")  # whatever the odd updates started is done
    assert not errors.records, errors.records[0].getMessage()


SIGNED_FORMS = st.one_of(
    st.dictionaries(st.sampled_from(["command", "text", "user_id", "trigger_id"]), WORD),
    st.builds(lambda p: {"payload": json.dumps(p)}, JSON),
).map(urllib.parse.urlencode)


async def test_whatever_reaches_slack_gets_an_answer_and_no_error(
    database: tuple[Database, Errors],
) -> None:
    db, errors = database
    async with roost_on_slack(db, ManualClock(START), mode="http") as running:
        ana = running.user("Ana")
        for line in examples("slack lines", lines(), 20):
            assert (await running.run(ana, line.removeprefix("/"))).strip(), line
        odd = st.one_of(
            st.tuples(SIGNED_FORMS, st.just("application/x-www-form-urlencoded"), st.booleans()),
            st.tuples(ANY_BODY, st.sampled_from(["application/json", "text/plain", ""]),
                      st.booleans()),
        )  # fmt: skip
        for body, kind, forged in examples("slack bodies", odd, 40):
            handled = running.app.handled
            status = await running.slack.post_signed(
                body, kind, secret="forged" if forged else None
            )
            assert status < 500, (body, status)
            if forged:  # refused, and nothing of it reached the core
                assert status in (400, 401) and running.app.handled == handled, body
        await running.run(ana, "help")
        await asyncio.sleep(0)
    assert not errors.records, errors.records[0].getMessage()
