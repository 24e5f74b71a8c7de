"""Joining, onboarding and the profile, as a member at the console sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from storage.members import ConsentKind, consents
from storage.models import Identity, InviteCode, Join, Label, Member
from tests.chat import Chat


async def member_named(chat: Chat, handle: str) -> Member:
    async with chat.app.db.session() as session:
        row = (
            await session.exec(
                select(Member).join(Identity).where(Identity.platform_user_id == handle)
            )
        ).one()
        return row


async def add_code(chat: Chat, code: str, source: str, **extra: Any) -> None:
    async with chat.app.db.session() as session:
        session.add(InviteCode(code=code, source=source, created_at=chat.app.clock.now(), **extra))
        await session.commit()


async def test_first_contact_shows_the_privacy_notice_once(chat: Chat) -> None:
    first = await chat.say("/help", as_="ana")
    again = await chat.say("/help", as_="ana")
    assert "how we treat your data" in first and "/forgetme erases it" in first
    assert "how we treat your data" not in again
    assert (await member_named(chat, "ana")).privacy_notice_at is not None


async def test_join_without_a_code_onboards_and_records_everything(chat: Chat) -> None:
    seen = await chat.onboard(
        "ana",
        function="2",
        seniority="junior",
        location="Lisbon",
        interests="data, events",
        news="yes",
        jobs="no",
    )
    assert "Join the community (1/6)" in seen and "Join the community (6/6)" in seen
    assert "Welcome aboard!" in seen
    assert "Function: product" in seen and "Location: Lisbon" in seen
    assert "News by DM: on" in seen and "Job invitations: off" in seen

    member = await member_named(chat, "ana")
    assert (member.function, member.seniority, member.location, member.interests) == (
        "product",
        "junior",
        "Lisbon",
        "data, events",
    )
    assert member.onboarded_at is not None and member.joined_at is not None
    async with chat.app.db.session() as session:
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: True,
            ConsentKind.JOBS: False,
        }
        join = (await session.exec(select(Join).where(Join.member_id == member.id))).one()
    assert (join.source, join.invite_code_id, join.platform, join.first_touch) == (
        "direct",
        None,
        "console",
        True,
    )


async def test_join_with_a_code_attributes_the_source(chat: Chat) -> None:
    await add_code(chat, "FAIR24", "job-fair")
    await add_code(chat, "ALUMNI", "alumni")
    await chat.onboard("ana", code="fair24")
    await chat.onboard("ben", code="ALUMNI")

    async with chat.app.db.session() as session:
        joins = {j.member_id: j for j in await session.exec(select(Join))}
        codes = {c.code: c for c in await session.exec(select(InviteCode))}
        labels = [(lb.member_id, lb.name) for lb in await session.exec(select(Label))]
    ana, ben = await member_named(chat, "ana"), await member_named(chat, "ben")
    assert joins[ana.id or 0].source == "job-fair"
    assert joins[ana.id or 0].invite_code_id == codes["FAIR24"].id
    assert joins[ben.id or 0].source == "alumni"
    assert codes["FAIR24"].uses == 1 and codes["ALUMNI"].uses == 1
    assert labels == [(ben.id, "alumni")]
    seen = await chat.say("/profile", as_="ben")
    assert "Joined via: alumni" in seen and "Labels: alumni" in seen


async def test_a_bad_code_is_explained_and_the_member_still_joins(chat: Chat) -> None:
    await add_code(chat, "OLD", "email", expires_at=chat.app.clock.now() - timedelta(days=1))
    await add_code(chat, "FULL", "social", max_uses=1, uses=1)
    for user, code in (("ana", "NOPE"), ("ben", "OLD"), ("cy", "FULL")):
        seen = await chat.onboard(user, code=code)
        assert f"couldn't find a valid invite code “{code}”" in seen
        assert "Welcome aboard!" in seen
    async with chat.app.db.session() as session:
        sources = [j.source for j in await session.exec(select(Join))]
    assert sources == ["direct", "direct", "direct"]


async def test_a_wrong_answer_is_asked_again_and_nothing_is_saved_early(chat: Chat) -> None:
    seen = await chat.say("/join", "astronaut", as_="ana")
    assert "Your job function must be one of: engineering" in seen
    assert (await member_named(chat, "ana")).function is None
    seen = await chat.say("engineering", "senior", "Berlin", "-", "maybe", as_="ana")
    assert "Please answer" in seen and "with yes or no" in seen
    seen = await chat.say("no", "no", as_="ana")
    assert "Welcome aboard!" in seen
    assert (await member_named(chat, "ana")).function == "engineering"


async def test_joining_twice_keeps_one_first_touch(chat: Chat) -> None:
    await add_code(chat, "SOCIAL1", "social")
    await chat.onboard("ana")
    seen = await chat.say("/join SOCIAL1", as_="ana")
    assert "already a member" in seen
    async with chat.app.db.session() as session:
        joins = [
            (j.source, j.first_touch)
            for j in await session.exec(select(Join).order_by(col(Join.id)))
        ]
    assert joins == [("direct", True), ("social", False)]


async def test_profile_edits_one_field_and_refuses_a_bad_value(chat: Chat) -> None:
    await chat.onboard("ana")
    seen = await chat.say('/profile location "New York"', as_="ana")
    assert "Saved your location." in seen and "Location: New York" in seen
    seen = await chat.say("/profile seniority wizard", as_="ana")
    assert "must be one of" in seen and "Nothing was changed." in seen
    member = await member_named(chat, "ana")
    assert (member.location, member.seniority) == ("New York", "senior")


async def test_edit_profile_button_reasks_with_current_answers_kept(chat: Chat) -> None:
    await chat.onboard("ana", location="Berlin")
    await chat.say("/profile", as_="ana")
    seen = await chat.say("1", "data", "-", "-", "-", "no", "yes", as_="ana")
    assert "(now: Berlin; send - to keep it)" in seen
    assert "Saved. Here's your profile:" in seen
    member = await member_named(chat, "ana")
    assert (member.function, member.seniority, member.location) == ("data", "senior", "Berlin")
    async with chat.app.db.session() as session:
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: False,
            ConsentKind.JOBS: True,
        }


async def test_activity_is_a_timestamp_and_strangers_leave_no_trace(chat: Chat) -> None:
    from bot.events import Chat as Where
    from bot.events import ChatKind, MemberActive, Origin, User

    def active(user: str) -> MemberActive:
        who = User("console", user, name=user.capitalize(), handle=user)
        return MemberActive(origin=Origin(who, Where("console", "community", ChatKind.CHANNEL)))

    await chat.onboard("ana")
    chat.app.clock.advance(timedelta(hours=5))  # type: ignore[attr-defined]
    await chat.app.handle(active("ana"))
    await chat.app.handle(active("stranger"))
    assert (await member_named(chat, "ana")).last_active_at == chat.app.clock.now()
    async with chat.app.db.session() as session:
        handles = [i.platform_user_id for i in await session.exec(select(Identity))]
    assert handles == ["ana"]
