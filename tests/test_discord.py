"""Roost on Discord: the real discord.py against the local REST and gateway emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, select

from bot.clock import ManualClock
from storage.db import Database
from storage.growth import add_links, create_code
from storage.members import ConsentKind, consents
from storage.models import Identity, Join, Member
from tests.emulators.discord import DiscordEmulator, DiscordMember, add_member
from tests.roost_on_discord import DiscordRoost, roost_on_discord

FIRST = {
    "function": "engineering",
    "seniority": "senior",
    "location": "Lyon",
    "interests": "rust",
    "news": "yes",
}


@pytest.fixture
async def roost(db: Database, clock: ManualClock) -> AsyncIterator[DiscordRoost]:
    async with roost_on_discord(db, clock) as running:
        yield running


async def member_of(roost: DiscordRoost, member: DiscordMember) -> Member:
    async with roost.app.db.session() as session:
        query = select(Member).join(Identity).where(Identity.platform_user_id == member.id)
        return (await session.exec(query)).one()


async def onboard(roost: DiscordRoost, member: DiscordMember, *, jobs: str = "no") -> str:
    """The six onboarding questions: a modal of five, a Continue button, a modal of one."""
    seen = await roost.slash(member, "join")
    assert member.modal()["title"] == "Join the community (1/2)"
    assert len(member.modal()["components"]) == 5
    await roost.act(member.submit(FIRST))
    seen += await roost.press(member, "Continue (2/2)")
    await roost.act(member.submit({"jobs": jobs}))
    return seen + member.text()


async def source_code(roost: DiscordRoost, code: str, source: str) -> str:
    """An invite code as HR makes one: Roost's code, with a Discord invite of its own."""
    links = await roost.adapter.invite_links(code)
    async with roost.app.db.session() as session:
        invite = await create_code(session, source=source, code=code, now=roost.app.clock.now())
        await add_links(session, invite, "discord", links)
        await session.commit()
    return links["invite"].rsplit("/", 1)[1]


async def test_onboarding_through_modals_with_embeds_and_buttons(roost: DiscordRoost) -> None:
    ana = await roost.member("Ana")
    seen = await onboard(roost, ana, jobs="yes")
    assert "how we treat your data" in seen and "Welcome aboard!" in seen
    modal = ana.modal()
    assert modal["components"][0]["type"] == 18  # a select in a label, as Discord modals have them
    profile = ana.last(with_buttons=True)
    embed = profile["embeds"][0]
    assert embed["title"] == "Your profile"
    assert {"name": "Function", "value": "engineering", "inline": True} in embed["fields"]
    assert [b["label"] for b in profile["components"][0]["components"]][:1] == ["Edit profile"]
    member = await member_of(roost, ana)
    assert (member.function, member.location, member.interests) == ("engineering", "Lyon", "rust")
    async with roost.app.db.session() as session:
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: True,
            ConsentKind.JOBS: True,
        }


async def test_joins_are_attributed_to_their_source_invite(roost: DiscordRoost) -> None:
    fair = await source_code(roost, "FAIR24", "job-fair")
    alumni = await source_code(roost, "ALUMNI", "alumni")
    ana, ben, cy = (add_member(roost.discord, n) for n in ("Ana", "Ben", "Cy"))
    await roost.act(ana.join(fair))
    await roost.act(ben.join(alumni))
    # two joins at once through the same invite
    await roost.act(
        asyncio.gather(cy.join(fair), (dee := add_member(roost.discord, "Dee")).join(fair)),
        events=2,
    )
    async with roost.app.db.session() as session:
        sources = {j.member_id: j.source for j in await session.exec(select(Join))}
    expected = {"ana": "job-fair", "ben": "alumni", "cy": "job-fair", "dee": "job-fair"}
    for member in (ana, ben, cy, dee):
        assert sources[(await member_of(roost, member)).id or 0] == expected[member.name]
    assert "Tell us a little about yourself" in ana.text()


async def test_buttons_stop_export_and_erasure(roost: DiscordRoost) -> None:
    ana = await roost.member("Zorblat")
    await onboard(roost, ana)
    assert "job invitations are now on" in await roost.press(ana, "Turn job invitations on")
    await roost.act(ana.dm("stop"))
    assert "you won't get any more messages from us" in ana.text()
    member = await member_of(roost, ana)
    async with roost.app.db.session() as session:
        assert not any((await consents(session, member.id or 0)).values())

    await roost.slash(ana, "mydata")
    file = next(m for m in ana.messages() if m["attachments"])["attachments"][0]
    assert file["filename"] == "roost-mydata.json"
    assert json.loads(roost.discord.files[file["id"]])["identity"][0]["platform_user_id"] == ana.id

    await roost.slash(ana, "forgetme")
    assert "Your data has been erased." in await roost.press(ana, "Yes, erase everything")
    async with roost.app.db.session() as session:
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in (await conn.execute(core_select(table))).all():
                text = json.dumps([str(v) for v in row]).lower()
                assert ana.id not in text and "zorblat" not in text, table.name


async def test_hr_commands_for_the_hr_role_only(roost: DiscordRoost) -> None:
    ana = await roost.member("Ana")
    await onboard(roost, ana)
    assert "only for the hr team" in await roost.slash(ana, "members")
    seen = await roost.slash(roost.hana, "members", filters="function=engineering")
    assert "1 member match" in seen
    assert roost.hana.messages()[-1]["flags"] & 64  # answered ephemerally in the server
    hr_command = roost.discord.commands["members"]
    assert hr_command["default_member_permissions"] == "32"  # Manage Server, until HR is granted


async def test_reconnects_and_resumes_after_the_gateway_drops(roost: DiscordRoost) -> None:
    ana = await roost.member("Ana")
    await roost.discord.drop_gateway()
    # the member acts while the bot is away; the event waits in the session and is replayed
    await roost.act(ana.slash("consent"))
    assert "Your message choices" in ana.text()
    assert roost.discord.connected


async def test_commands_are_synced_only_when_they_changed(db: Database, clock: ManualClock) -> None:
    emulator = DiscordEmulator()
    await emulator.start()
    try:
        async with roost_on_discord(db, clock, emulator):
            assert emulator.command_writes == 1
        async with roost_on_discord(db, clock, emulator) as again:
            assert emulator.command_writes == 1  # nothing changed: nothing uploaded
            assert "/join" in await again.slash(await again.member("Ana"), "help")
    finally:
        await emulator.stop()
