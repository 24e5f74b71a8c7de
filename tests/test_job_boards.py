"""Jobs imported from an applicant tracking system's public board (local fakes of the
Greenhouse and Lever APIs): new ones appear in `/jobs` and reach the members whose alert they
match; a job gone from the board closes in Roost; a board that cannot be read changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.settings import Settings
from storage.db import Database
from storage.models import Job
from tests.chat import Chat
from tests.emulators.boards import JobBoards, greenhouse_job, lever_posting


@pytest.fixture
async def boards() -> AsyncIterator[JobBoards]:
    fake = JobBoards()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def chat(db: Database, clock: ManualClock, boards: JobBoards) -> Chat:
    settings = Settings.model_validate(
        {
            "web": {"enabled": False},
            "roles": {"hr": ["console:hr"]},
            "pipeline": {
                "greenhouse_board": "acme",
                "lever_site": "acme",
                "greenhouse_api": boards.url,
                "lever_api": boards.url,
            },
        }
    )
    return Chat.start(settings, db, clock)


async def jobs(chat: Chat) -> dict[str, tuple[str, str, bool]]:
    now = chat.app.clock.now()
    async with chat.app.db.session() as session:
        found = await session.exec(select(Job).where(col(Job.external_id).is_not(None)))
        return {
            j.external_id or "": (j.title, j.function, j.closes_at is None or j.closes_at > now)
            for j in found
        }


async def test_imported_jobs_appear_alert_members_and_close(chat: Chat, boards: JobBoards) -> None:
    boards.greenhouse["acme"] = [
        greenhouse_job(401, "Data engineer", "Data Science", "Berlin"),
        greenhouse_job(402, "Product designer", "Design", "Remote"),
    ]
    boards.lever["acme"] = [lever_posting("5c3d-aa", "Backend engineer", "Engineering", "Berlin")]
    await chat.onboard("ana", function="data", jobs="yes")
    await chat.say("/alerts function=data", as_="ana")

    seen = await chat.say("/jobs import", as_="hr")
    assert "Greenhouse: 2 open, 2 new, 0 closed; Lever: 1 open, 1 new, 0 closed." in seen
    assert await jobs(chat) == {
        "greenhouse:401": ("Data engineer", "data", True),
        "greenhouse:402": ("Product designer", "design", True),
        "lever:5c3d-aa": ("Backend engineer", "engineering", True),
    }
    assert "content=true" in boards.requests[0] and "mode=json" in boards.requests[1]
    await chat.app.worker.drain()
    assert "[DM to ana]\n== A new job for your alert: Data engineer ==" in chat.out.getvalue()
    assert "Data engineer" in await chat.say("/jobs", as_="ana")

    boards.greenhouse["acme"] = boards.greenhouse["acme"][:1]  # the designer role is filled
    seen = await chat.say("/jobs import", as_="hr")
    assert "Greenhouse: 1 open, 0 new, 1 closed" in seen
    assert (await jobs(chat))["greenhouse:402"][2] is False
    assert "Product designer" not in await chat.say("/jobs all", as_="ana")
    assert chat.out.getvalue().count("A new job for your alert: Data engineer") == 1  # once

    del boards.lever["acme"]  # the site is gone: nothing there is closed by mistake
    seen = await chat.say("/jobs import", as_="hr")
    assert "Lever: not read" in seen and "404" in seen
    assert (await jobs(chat))["lever:5c3d-aa"][2] is True
    assert "only for the hr team" in await chat.say("/jobs import", as_="ana")
