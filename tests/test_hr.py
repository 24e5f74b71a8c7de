"""HR labels, finds and counts members; everyone else is refused, in the core."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.models import AuditEntry, Label
from tests.chat import Chat
from tests.test_membership import add_code, member_named


async def test_a_member_trying_hr_commands_is_refused_and_nothing_changes(chat: Chat) -> None:
    await chat.onboard("ana")
    for command in ("/label @ana vip", "/unlabel @ana vip", "/members"):
        seen = await chat.say(command, as_="ana")
        assert f"Sorry, {command.split()[0]} is only for the hr team." in seen
    async with chat.app.db.session() as session:
        assert list(await session.exec(select(Label))) == []
        assert list(await session.exec(select(AuditEntry))) == []


async def test_hr_labels_a_member_and_it_is_audited_without_names(chat: Chat) -> None:
    await chat.onboard("ana")
    ana = await member_named(chat, "ana")
    seen = await chat.say("/label @ana Senior Python", as_="hr")
    assert f"Labelled #{ana.id} Ana: senior-python" in seen
    assert "already has" in await chat.say(f"/label #{ana.id} senior python", as_="hr")
    assert "can't find @nobody" in await chat.say("/label @nobody x", as_="hr")
    hr = await member_named(chat, "hr")
    async with chat.app.db.session() as session:
        labels = [
            (lb.member_id, lb.name, lb.created_by_member_id)
            for lb in await session.exec(select(Label))
        ]
        audit = list(await session.exec(select(AuditEntry)))
    assert labels == [(ana.id, "senior-python", hr.id)]
    assert [(a.actor_member_id, a.action, a.target_member_id, a.detail) for a in audit] == [
        (hr.id, "label", ana.id, {"label": "senior-python"}),
        (hr.id, "label", None, {}),  # the label was there already: nothing done, but tried
    ]  # and naming nobody is refused: a refused input changes nothing, the audit included
    assert "Removed the label senior-python" in await chat.say(
        "/unlabel console:ana senior-python", as_="hr"
    )


async def test_hr_finds_members_by_every_attribute(chat: Chat) -> None:
    await add_code(chat, "FAIR", "job-fair")
    await chat.onboard(
        "ana", function="engineering", seniority="senior", location="Berlin", jobs="yes"
    )
    await chat.onboard(
        "ben", function="engineering", seniority="junior", location="Paris", jobs="no", code="FAIR"
    )
    chat.app.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    await chat.onboard("cy", function="design", seniority="senior", location="berlin", jobs="yes")
    await chat.say("/label @cy alumni", as_="hr")

    async def count(filters: str) -> str:
        seen = await chat.say(f"/members {filters}", as_="hr")
        return seen.split("== ")[1].split(" member")[0]

    assert await count("function=engineering") == "2"
    assert await count("seniority=senior location=BERLIN") == "2"
    assert await count("source=job-fair") == "1"
    assert await count("label=alumni") == "1"
    assert await count("consent=jobs") == "2"
    assert await count("consent=jobs function=engineering") == "1"
    assert await count("active=7d onboarded=yes") == "1"
    assert await count("inactive=30d") == "2"
    assert await count("platform=console onboarded=no") == "1"  # hr itself, never joined
    seen = await chat.say("/members function=engineering", as_="hr")
    assert "#2 Ben (console:@ben) · engineering/junior · Paris · dormant · active 40d ago" in seen
    assert "engineering: 2" in seen


async def test_bad_filters_get_an_example_and_search_nothing(chat: Chat) -> None:
    seen = await chat.say("/members colour=blue", as_="hr")
    assert "colour=blue is not a filter" in seen and "Example: /members function=" in seen
    seen = await chat.say("/members active=soon", as_="hr")
    assert "active takes a duration such as 30d" in seen
