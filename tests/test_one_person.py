"""One person on two platforms, for every pair of platforms through the real libraries: before
linking they are two members who each voted, registered and were invited; after `/link` they
are one, counted once everywhere, sent one copy of a campaign where they were last (or where
they chose), and one `/forgetme` erases every account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from storage.db import Database
from storage.events import numbers
from storage.models import (
    CommunityEvent,
    Consent,
    Delivery,
    Identity,
    Invitation,
    Job,
    Member,
    Poll,
    PollOption,
    Registration,
    Vote,
)
from storage.pipeline import Scope, funnel
from storage.polls import tally
from tests.roost_everywhere import Account, Everywhere, roost_everywhere
from tests.seed import news_campaign

PAIRS = [("telegram", "discord"), ("telegram", "slack"), ("discord", "slack")]
CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


async def two_members_who_did_everything(world: Everywhere, ada: dict[str, Account]) -> None:
    """Each account has talked to Roost (so each is a member) and, as two people would, has
    consented, voted in the poll (differently), registered for the event, been invited."""
    for account in ada.values():
        await world.command(account, "help")
    db, now = world.app.db, world.app.clock.now()
    async with db.session() as session:
        poll = Poll(question="Which stack?", created_at=now)
        event = CommunityEvent(
            title="Open day",
            description="Visit us.",
            kind="open_day",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            created_at=now,
        )
        job = Job(
            title="Data engineer", function="data", apply_url="https://x.example", created_at=now
        )
        session.add_all([poll, event, job])
        await session.flush()
        options = [PollOption(poll_id=poll.id or 0, position=i, text=t) for i, t in enumerate("AB")]
        session.add_all(options)
        await session.flush()
        members = list(await session.exec(select(Member).order_by(col(Member.id))))
        assert len(members) == 2
        for i, member in enumerate(members):
            assert member.id is not None
            member.onboarded_at, member.consent_news = now, True
            session.add(
                Consent(member_id=member.id, kind="news", granted=True, wording_version="1",
                        platform="test", at=now - timedelta(days=i))
            )  # fmt: skip
            session.add(Vote(poll_id=poll.id or 0, option_id=options[i].id or 0,
                             member_id=member.id, platform="test", at=now))  # fmt: skip
            session.add(
                Registration(event_id=event.id or 0, member_id=member.id, registered_at=now)
            )
            session.add(Invitation(job_id=job.id or 0, member_id=member.id, invited_at=now))
        await session.commit()


async def counted(db: Database) -> tuple[int, int, int, int]:
    """Members, poll voters, event registrations and funnel invitations."""
    async with db.session() as session:
        members = len(
            list(await session.exec(select(Member).where(col(Member.erased_at).is_(None))))
        )
        voters = (await tally(session, 1)).voters
        event = await session.get(CommunityEvent, 1)
        assert event is not None
        registered = (await numbers(session, event)).registered
        invited = dict((await funnel(session, Scope(job_id=1))).steps)["invited"]
    return members, voters, registered, invited


async def delivered_to(world: Everywhere, ada: dict[str, Account]) -> list[str]:
    """Send a news campaign to everyone who may get it; the platforms Ada got it on."""
    app = world.app
    before = app.worker.recorded
    await news_campaign(app.db, None, app.clock.now())
    app.worker.wake()
    await app.worker.wait_recorded(before + 1)
    async with app.db.session() as session:
        rows = list(await session.exec(select(Delivery).where(Delivery.state == "sent")))
    got = [p for p, account in ada.items() if "News for everyone" in account.text()]
    assert len(rows) == len(got), (rows, got)
    return got


@pytest.mark.parametrize(("first", "second"), PAIRS)
async def test_a_linked_person_counts_once_gets_one_copy_and_is_erased_everywhere(
    sqlite_db: Database, clock: ManualClock, first: str, second: str
) -> None:
    async with roost_everywhere(sqlite_db, clock, (first, second)) as world:
        ada = await world.person("Ada")
        await two_members_who_did_everything(world, ada)
        assert await counted(sqlite_db) == (2, 2, 2, 2)

        shown = await world.command(ada[first], "link")
        code = CODE.search(shown)
        assert code is not None, shown
        assert "Your link code is" in shown
        assert "isn't valid" in await world.command(ada[second], "link", code="ZZZZ-ZZZZ")
        seen = await world.command(ada[second], "link", code=code.group())
        assert f"Linked: you're one member on {' and '.join(sorted((first, second)))}" in seen
        assert "isn't valid" in await world.command(ada[second], "link", code=code.group())

        assert await counted(sqlite_db) == (1, 1, 1, 1)
        async with sqlite_db.session() as session:
            accounts = list(await session.exec(select(Identity)))
            person = (await session.exec(select(Member))).one()
        assert {a.member_id for a in accounts} == {person.id}
        assert person.consent_news is True

        assert await delivered_to(world, ada) == [second]  # where Ada was last
        assert "reach you here" in await world.command(ada[first], "link", code="here")
        clock.advance(timedelta(days=8))  # past the frequency cap's window
        got = await delivered_to(world, ada)
        assert got.count(first) == 1 and got.count(second) == 1  # one copy each time

        assert "Erase your data?" in await world.command(ada[second], "forgetme")
        assert "Your data has been erased" in await world.press(
            ada[second], "Yes, erase everything"
        )
        async with sqlite_db.session() as session:
            assert list(await session.exec(select(Identity))) == []
            person = (await session.exec(select(Member))).one()
        assert person.erased_at is not None
