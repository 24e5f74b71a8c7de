"""Roost on Slack: the real slack-bolt against the local Slack emulator, in Socket Mode and
over signed HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, select

from bot.clock import ManualClock
from storage.db import Database
from storage.members import ConsentKind, consents
from storage.models import ContentItem, Identity, InviteCode, Join, Member
from tests.emulators.slack import COMMUNITY, SlackUser
from tests.roost_on_slack import SlackRoost, roost_on_slack

ANSWERS = {
    "function": "data",
    "seniority": "lead",
    "location": "Oslo",
    "interests": "",
    "news": "yes",
    "jobs": "no",
}


@pytest.fixture(params=["socket", "http"])
async def roost(
    request: pytest.FixtureRequest, db: Database, clock: ManualClock
) -> AsyncIterator[SlackRoost]:
    async with roost_on_slack(db, clock, request.param) as running:
        yield running


async def add_code(roost: SlackRoost, code: str, source: str) -> None:
    async with roost.app.db.session() as session:
        session.add(InviteCode(code=code, source=source, created_at=roost.app.clock.now()))
        await session.commit()


async def member_of(roost: SlackRoost, user: SlackUser) -> Member:
    async with roost.app.db.session() as session:
        query = select(Member).join(Identity).where(Identity.platform_user_id == user.id)
        return (await session.exec(query)).one()


async def onboard(roost: SlackRoost, user: SlackUser, command: str = "join") -> str:
    seen = await roost.run(user, command)
    assert user.open_view()["callback_id"] == "onboarding"
    await roost.act(user.submit(ANSWERS))
    return seen + user.text()


async def test_a_code_redeemed_with_the_command_attributes_the_join(roost: SlackRoost) -> None:
    await add_code(roost, "FAIR24", "job-fair")
    ana = roost.user("Ana")
    seen = await onboard(roost, ana, "join FAIR24")
    assert "how we treat your data" in seen and "Welcome aboard!" in seen
    modal = ana.open_view()
    assert modal["title"]["text"] == "Join the community"
    assert [b["block_id"] for b in modal["blocks"] if b["type"] == "input"] == list(ANSWERS)
    member = await member_of(roost, ana)
    assert (member.function, member.seniority, member.location) == ("data", "lead", "Oslo")
    async with roost.app.db.session() as session:
        join = (await session.exec(select(Join))).one()
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: True,
            ConsentKind.JOBS: False,
        }
    assert (join.source, join.platform) == ("job-fair", "slack")


async def test_messages_are_block_kit(roost: SlackRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    profile = ana.last(with_buttons=True)
    kinds = [b["type"] for b in profile["blocks"]]
    assert kinds[0] == "header" and "section" in kinds and kinds[-1] == "actions"
    fields = next(b["fields"] for b in profile["blocks"] if "fields" in b)
    assert {"type": "mrkdwn", "text": "*Function*\ndata"} in fields
    assert profile["text"].startswith("Your profile")  # the notification fallback


async def test_the_app_home_shows_the_profile_and_redeems_codes(roost: SlackRoost) -> None:
    await add_code(roost, "ALUMNI", "alumni")
    ana = roost.user("Ana")
    await roost.act(ana.open_home())
    home = roost.slack.homes[ana.id]
    assert home["blocks"][0]["text"]["text"].startswith("Welcome to the")
    await roost.act(ana.press_home("Redeem an invite code"))
    assert ana.open_view()["callback_id"] == "redeem"
    await roost.act(ana.submit({"code": "alumni"}))
    assert "Your code ALUMNI is noted" in ana.text()
    assert ana.open_view()["callback_id"] == "onboarding"  # then straight on to joining
    await roost.act(ana.submit(ANSWERS))
    shown = json.dumps(roost.slack.homes[ana.id])
    assert (
        "your profile" in shown
        and "*Joined via*\\nalumni" in shown
        and "*Labels*\\nalumni" in shown
    )
    assert "Coming up" in shown


async def test_team_join_greets_with_onboarding(roost: SlackRoost) -> None:
    ben = roost.user("Ben")
    await roost.act(ben.join_workspace())
    assert "Tell us a little about yourself" in ben.text()
    await roost.act(ben.press("Join the community"))
    await roost.act(ben.submit(ANSWERS))
    assert (await member_of(roost, ben)).onboarded_at is not None


async def test_consent_buttons_and_stop(roost: SlackRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    assert "job invitations are now on" in await roost.press(ana, "Turn job invitations on")
    await roost.act(ana.dm("STOP"))
    assert "you won't get any more messages from us" in ana.text()
    async with roost.app.db.session() as session:
        assert not any((await consents(session, (await member_of(roost, ana)).id or 0)).values())


async def test_export_and_erasure(roost: SlackRoost) -> None:
    ana = roost.user("Zorblat")
    await onboard(roost, ana)
    await roost.run(ana, "mydata")
    file = next(f for f in roost.slack.files.values() if f["name"] == "roost-mydata.json")
    assert json.loads(file["data"])["identity"][0]["platform_user_id"] == ana.id
    await roost.run(ana, "forgetme")
    assert "Your data has been erased." in await roost.press(ana, "Yes, erase everything")
    async with roost.app.db.session() as session:
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in (await conn.execute(core_select(table))).all():
                text = json.dumps([str(v) for v in row]).lower()
                assert ana.id.lower() not in text and "zorblat" not in text, table.name


async def test_hr_commands_for_the_hr_user_group_only(roost: SlackRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    assert "only for the hr team" in await roost.run(ana, "members")
    assert "1 member match" in await roost.run(roost.hana, "members function=data")
    # in a channel the answer is ephemeral, through the command's response_url
    seen = await roost.run(roost.hana, "members", channel=COMMUNITY)
    assert "members match" in seen
    assert roost.hana.messages()[-1]["via"] == "response_url"
    assert roost.hana.messages()[-1]["response_type"] == "ephemeral"


async def test_a_deactivated_member_is_marked_undeliverable(roost: SlackRoost) -> None:
    ana = roost.user("Ana")
    await roost.act(ana.open_home())
    ana.deactivate()
    await roost.act(ana.command("consent", channel=COMMUNITY))  # the answer goes to a closed DM
    async with roost.app.db.session() as session:
        identity = (
            await session.exec(select(Identity).where(Identity.platform_user_id == ana.id))
        ).one()
    assert identity.deliverable is False and identity.undeliverable_reason == "user_disabled"


async def test_hr_composes_and_an_employee_shares_through_modals(roost: SlackRoost) -> None:
    story = "We ship on Fridays. " * 140  # 2800 characters: a long text, in one Slack input
    await roost.run(roost.hana, "compose")
    compose = roost.hana.open_view()
    inputs = {b["block_id"]: b["element"] for b in compose["blocks"] if b["type"] == "input"}
    assert inputs["body"] == {**inputs["body"], "type": "plain_text_input", "max_length": 3000}
    answers = {"kind": "company_news", "title": "Lisbon", "body": "We open **an office**."}
    await roost.act(roost.hana.submit(answers))
    assert "Saved as content #1" in roost.hana.text()
    await roost.run(roost.eli, "share")
    assert roost.eli.open_view()["title"]["text"] == "Share your story"
    with pytest.raises(ValueError, match="3000 at most"):  # no one can type more in Slack
        await roost.eli.submit({"title": "x", "body": "y" * 3001})
    await roost.act(roost.eli.submit({"title": "My first year", "body": story.strip()}))
    assert "Your story is #2" in roost.eli.text()
    await roost.run(roost.eli, "share")  # a story longer than one Slack input holds
    shared = {b["block_id"] for b in roost.eli.open_view()["blocks"] if b["type"] == "input"}
    assert shared == {"title", "body", "body~2"}
    first, rest = "A" * 3000, "And more. " * 250
    await roost.act(roost.eli.submit({"title": "Year two", "body": first, "body~2": rest}))
    assert "Your story is #3" in roost.eli.text()
    async with roost.app.db.session() as session:
        items = {i.id: i for i in await session.exec(select(ContentItem))}
    assert items[1].body == "We open **an office**." and items[1].status == "approved"
    assert items[2].body == story.strip() and items[2].status == "pending_approval"
    assert items[3].body == first + "\n\n" + rest.strip()  # 5502 characters, whole
    assert "only approved content goes out" in await roost.run(roost.hana, "schedule 2 now")


async def test_talking_in_a_channel_counts_as_activity_and_only_its_time_is_kept(
    roost: SlackRoost, clock: ManualClock
) -> None:
    ada = roost.user("Ada")
    await roost.run(ada, "help")
    clock.advance(timedelta(days=3))
    await roost.act(ada.say_in_channel("Anyone going to the open day? secret-words-42"))
    assert roost.slack.unsubscribed == []  # the manifest subscribes to message.channels
    async with roost.app.db.session() as session:
        member = (await session.exec(select(Member).join(Identity))).one()
        assert member.last_active_at == clock.now()
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in await conn.execute(core_select(table)):
                assert "secret-words-42" not in json.dumps([str(v) for v in row])

    roost.slack.bot_events.discard("message.channels")  # an app that did not subscribe
    await ada.say_in_channel("hello again")
    assert roost.slack.unsubscribed == ["message.channels"]


async def test_a_file_slack_would_not_take_is_said_not_dropped(roost: SlackRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    roost.slack.faults.broken.add("files.getUploadURLExternal")  # the upload fails for good
    seen = await roost.run(ana, "mydata")
    assert "I couldn't send you roost-mydata.json" in seen and "Nothing else was lost" in seen
