"""Roost on Telegram: the real python-telegram-bot against the local Bot API emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from storage.db import Database
from storage.members import ConsentKind, consents
from storage.models import Identity, InviteCode, Join, Member
from tests.roost_on_telegram import TelegramRoost, roost_on_telegram


@pytest.fixture(params=["polling", "webhook"])
async def roost(
    request: pytest.FixtureRequest, db: Database, clock: ManualClock
) -> AsyncIterator[TelegramRoost]:
    """Every feature test runs with updates fetched by long polling and pushed to a webhook."""
    async with roost_on_telegram(db, clock, request.param) as running:
        yield running


async def add_code(roost: TelegramRoost, code: str, source: str) -> None:
    async with roost.app.db.session() as session:
        session.add(InviteCode(code=code, source=source, created_at=roost.app.clock.now()))
        await session.commit()


async def member_of(roost: TelegramRoost, user_id: int) -> Member:
    async with roost.app.db.session() as session:
        return (
            await session.exec(
                select(Member)
                .join(Identity)
                .where(Identity.platform == "telegram", Identity.platform_user_id == str(user_id))
            )
        ).one()


async def onboard(roost: TelegramRoost, user, start: str = "/start") -> str:  # type: ignore[no-untyped-def]
    seen = await roost.say(user, start)
    for label in ("engineering", "senior"):
        seen += await roost.press(user, label)
    seen += await roost.say(user, "Berlin", "-")
    seen += await roost.press(user, "Yes")
    seen += await roost.press(user, "Yes")
    return seen


async def test_join_through_a_deep_link_with_onboarding_by_buttons(roost: TelegramRoost) -> None:
    await add_code(roost, "FAIR24", "job-fair")
    ana = roost.user("Ana")
    seen = await onboard(roost, ana, "/start FAIR24")
    assert "<b>Hi from the Talent Community</b>" not in seen  # HTML is rendered, not shown raw
    assert "Hi from the Talent Community" in seen and "Welcome aboard!" in seen
    profile = ana.last()
    assert profile["parse_mode" if "parse_mode" in profile else "text"]  # a real message object
    assert "Function: engineering" in profile["text"] and "Joined via: job-fair" in profile["text"]
    member = await member_of(roost, ana.id)
    assert (member.function, member.seniority, member.location) == (
        "engineering",
        "senior",
        "Berlin",
    )
    async with roost.app.db.session() as session:
        join = (await session.exec(select(Join))).one()
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: True,
            ConsentKind.JOBS: True,
        }
    assert (join.source, join.platform) == ("job-fair", "telegram")
    presses = [r for r in roost.tg.requests if r.method == "answerCallbackQuery"]
    assert len(presses) == 4  # every button press is acknowledged


async def test_messages_render_as_telegram_html_with_inline_keyboards(roost: TelegramRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    await roost.say(ana, "/profile")
    sent = [r for r in roost.tg.requests if r.method == "sendMessage"][-1].params
    assert sent["parse_mode"] == "HTML"
    assert (
        sent["text"].startswith("<b>Your profile</b>")
        and "<b>Function:</b> engineering" in sent["text"]
    )
    keyboard = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert keyboard[0][0] == {"text": "Edit profile", "callback_data": "profile.edit|"}


async def test_join_through_a_named_invite_link_is_attributed_exactly(roost: TelegramRoost) -> None:
    await add_code(roost, "ALUMNI", "alumni")
    await add_code(roost, "SOCIAL", "social")
    links = await roost.adapter.invite_links("ALUMNI")
    other = await roost.adapter.invite_links("SOCIAL")
    assert links["deep_link"] == "https://t.me/roost_test_bot?start=ALUMNI"
    assert roost.tg.links[links["group_link"]]["name"] == "ALUMNI"

    ana, ben = roost.user("Ana"), roost.user("Ben")
    await roost.act(ana.join(links["group_link"]))
    await roost.act(ben.join(other["group_link"]))
    async with roost.app.db.session() as session:
        joins = {j.member_id: j.source for j in await session.exec(select(Join))}
    assert joins == {
        (await member_of(roost, ana.id)).id: "alumni",
        (await member_of(roost, ben.id)).id: "social",
    }
    group = [m["text"] for (chat, _), m in roost.tg.messages.items() if chat < 0]
    assert any("Welcome" in text and "/join" in text for text in group)


async def test_stop_export_and_erasure(roost: TelegramRoost, db: Database) -> None:
    ana = roost.user("Zorblat")
    await onboard(roost, ana)
    assert "you won't get any more messages" in await roost.say(ana, "STOP")
    member = await member_of(roost, ana.id)
    async with db.session() as session:
        assert not any((await consents(session, member.id or 0)).values())

    await roost.say(ana, "/mydata")
    document = ana.last()["document"]
    export = json.loads(roost.tg.files[document["file_id"]])
    assert document["file_name"] == "roost-mydata.json"
    assert export["identity"][0]["platform_user_id"] == str(ana.id)

    await roost.say(ana, "/forgetme")
    assert "Your data has been erased." in await roost.press(ana, "Yes, erase everything")
    from sqlalchemy import select as core_select
    from sqlmodel import SQLModel

    async with db.session() as session:
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in (await conn.execute(core_select(table))).all():
                text = json.dumps([str(v) for v in row])
                assert str(ana.id) not in text and "zorblat" not in text.lower(), table.name


async def test_hr_commands_for_group_admins_only(roost: TelegramRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    assert "only for the hr team" in await roost.say(ana, "/members")
    seen = await roost.say(roost.hana, "/members function=engineering")
    assert "1 member match" in seen
    assert "Labelled" in await roost.say(
        roost.hana, f"/label #{(await member_of(roost, ana.id)).id} python"
    )


async def test_command_menus_are_scoped(roost: TelegramRoost) -> None:
    default = roost.tg.commands['{"type": "default"}']
    admins = next(v for k, v in roost.tg.commands.items() if "chat_administrators" in k)
    assert "join" in [c["command"] for c in default] and "members" not in [
        c["command"] for c in default
    ]
    assert "members" in [c["command"] for c in admins]


async def test_a_member_who_blocked_the_bot_is_marked_undeliverable(roost: TelegramRoost) -> None:
    ana = roost.user("Ana")
    await onboard(roost, ana)
    ana.block()
    await roost.act(ana.send("/profile", in_group=True))  # answered in the group
    await roost.act(ana.send("/mydata", in_group=True))  # a DM: 403, bot was blocked
    async with roost.app.db.session() as session:
        identity = (await session.exec(select(Identity))).all()[-1]
    assert identity.deliverable is False and "blocked" in (identity.undeliverable_reason or "")


async def test_join_requests_are_approved_only_with_a_valid_code(roost: TelegramRoost) -> None:
    await add_code(roost, "VIP", "event")
    chat = roost.adapter.settings.community_chat_id
    approval = await roost.adapter.application.bot.create_chat_invite_link(
        chat, name="VIP", creates_join_request=True
    )
    stranger = await roost.adapter.application.bot.create_chat_invite_link(
        chat, name="NOSUCHCODE", creates_join_request=True
    )
    ana, ben = roost.user("Ana"), roost.user("Ben")
    await roost.act(ana.join(approval.invite_link), events=2)  # the request, then the join
    await roost.act(ben.join(stranger.invite_link))
    assert roost.tg.group_members[ana.id] == "member"
    assert ben.id not in roost.tg.group_members
    async with roost.app.db.session() as session:
        joins = list(await session.exec(select(Join)))
    assert [(j.member_id, j.source) for j in joins] == [
        ((await member_of(roost, ana.id)).id, "event")
    ]
