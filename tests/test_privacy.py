"""STOP, consent, /mydata and /forgetme: a member's control over their data."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select as core_select
from sqlmodel import SQLModel, col, select

from bot.clock import ManualClock
from storage.members import ConsentKind, consents
from storage.models import AuditEntry, Consent, Member
from storage.privacy import POLICY, member_references
from tests.chat import Chat
from tests.test_membership import add_code, member_named


async def test_typing_stop_withdraws_every_consent_with_one_confirmation(chat: Chat) -> None:
    await chat.onboard("ana", news="yes", jobs="yes")
    seen = await chat.say("STOP", as_="ana")
    assert seen.count("[DM to ana]") == 1
    assert "you won't get any more messages from us" in seen
    member = await member_named(chat, "ana")
    async with chat.app.db.session() as session:
        assert await consents(session, member.id or 0) == {
            ConsentKind.NEWS: False,
            ConsentKind.JOBS: False,
        }


async def test_every_stop_word_works(chat: Chat) -> None:
    for word in ("unsubscribe", "Cancel", "quit", "END", "opt out", "Opt-Out!", "/stop"):
        await chat.onboard("ana", news="yes", jobs="yes")
        await chat.say(word, as_="ana")
        member = await member_named(chat, "ana")
        async with chat.app.db.session() as session:
            assert not any((await consents(session, member.id or 0)).values()), word


async def test_stop_in_the_middle_of_onboarding_abandons_the_form(chat: Chat) -> None:
    await chat.say("/join", "engineering", as_="ana")
    assert "you won't get any more messages" in await chat.say("stop", as_="ana")
    seen = await chat.say("senior", as_="ana")
    assert "I answer commands" in seen
    assert (await member_named(chat, "ana")).onboarded_at is None


async def test_consent_can_be_changed_later_with_its_wording_version(chat: Chat) -> None:
    await chat.onboard("ana", news="no", jobs="no")
    assert "job invitations are now on" in await chat.say("/consent jobs on", as_="ana")
    seen = await chat.say("/consent", as_="ana")
    assert "Job invitations: on" in seen and "News and event dms: off" in seen
    await chat.say("2", as_="ana")  # the button "Turn job invitations off"
    member = await member_named(chat, "ana")
    async with chat.app.db.session() as session:
        rows = list(
            await session.exec(
                select(Consent).where(Consent.kind == "jobs").order_by(col(Consent.id))
            )
        )
    assert [r.granted for r in rows] == [False, True, False]
    assert {r.wording_version for r in rows} == {"2026-11"} and rows[0].member_id == member.id


async def test_mydata_exports_everything_held_about_the_member(chat: Chat) -> None:
    await add_code(chat, "FAIR24", "job-fair")
    await chat.onboard("ana", code="FAIR24", location="Lisbon")
    await chat.say("/label @ana python", as_="hr")
    seen = await chat.say("/mydata", as_="ana")
    assert "[file roost-mydata.json" in seen
    data = json.loads(seen[seen.index("{") :])
    assert data["member"][0]["location"] == "Lisbon"
    assert data["identity"][0]["platform_user_id"] == "ana"
    assert {c["kind"] for c in data["consent"]} == {"news", "jobs"}
    assert data["member_join"][0]["source"] == "job-fair"
    assert data["label"][0]["name"] == "python"
    assert data["audit_entry"][0]["action"] == "label"


async def test_forgetme_asks_first_and_keeping_changes_nothing(chat: Chat) -> None:
    await chat.onboard("ana")
    seen = await chat.say("/forgetme", as_="ana")
    assert "Erase your data?" in seen and "[1] Yes, erase everything  [2] Keep my data" in seen
    assert "Nothing was erased." in await chat.say("2", as_="ana")
    assert (await member_named(chat, "ana")).location == "Berlin"


async def test_after_forgetme_no_table_holds_the_name_ids_or_handle(chat: Chat) -> None:
    await add_code(chat, "ALUMNI", "alumni")
    await chat.onboard("zorblat", code="ALUMNI", location="Reykjavik", interests="quokkas")
    await chat.say("/label @zorblat favourite", "/members location=reykjavik", as_="hr")
    member_id = (await member_named(chat, "zorblat")).id
    await chat.say("/forgetme", as_="zorblat")
    seen = await chat.say("1", as_="zorblat")
    assert "Your data has been erased." in seen

    traces = ("zorblat", "Zorblat", "Reykjavik", "quokkas")
    async with chat.app.db.session() as session:
        conn = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            for row in (await conn.execute(core_select(table))).all():
                text = json.dumps([str(v) for v in row])
                assert not any(t in text for t in traces), f"{table.name} still holds {text}"
        member = await session.get(Member, member_id)
        audit = list(await session.exec(select(AuditEntry)))
    assert member is not None and member.erased_at is not None and member.function is None
    assert {a.target_member_id for a in audit if a.action == "label"} == {member_id}


async def test_a_forgotten_member_who_returns_starts_afresh(chat: Chat) -> None:
    await chat.onboard("ana")
    await chat.say("/forgetme", "1", as_="ana")
    seen = await chat.say("/profile", as_="ana")
    assert "how we treat your data" in seen and "You haven't joined yet" in seen


def test_every_column_pointing_at_a_member_has_an_erasure_rule() -> None:
    assert member_references() == {(rule.table, rule.column) for rule in POLICY}


async def test_a_stop_with_more_words_or_in_full_width_is_still_a_stop(
    chat: Chat, clock: ManualClock
) -> None:
    for said in ("/stop now please", "stop please", "ＳＴＯＰ", "Please STOP!", "unsubscribe pls"):
        clock.advance(timedelta(minutes=1))  # each round is a new minute for the rate limit
        await chat.onboard("ana", news="yes", jobs="yes")
        seen = await chat.say(said, as_="ana")
        assert "you won't get any more messages" in seen, said
        member = await member_named(chat, "ana")
        async with chat.app.db.session() as session:
            assert not any((await consents(session, member.id or 0)).values()), said


async def test_a_word_that_is_an_answer_in_a_form_is_taken_as_the_answer(chat: Chat) -> None:
    await chat.onboard("ana", news="yes", jobs="yes")
    await chat.say("/profile", "1", as_="ana")  # Edit profile: the form again, with defaults
    seen = await chat.say("-", "-", "End", "-", "yes", "yes", as_="ana")
    assert "you won't get any more messages" not in seen
    member = await member_named(chat, "ana")
    assert member.location == "End"
    async with chat.app.db.session() as session:
        assert all((await consents(session, member.id or 0)).values())


async def test_cancel_in_a_form_leaves_the_form_and_keeps_every_choice(chat: Chat) -> None:
    await chat.onboard("ana", news="yes", jobs="yes", location="Berlin")
    await chat.say("/profile", "1", "-", "-", as_="ana")
    seen = await chat.say("cancel", as_="ana")
    assert "Left the form" in seen and "you won't get any more messages" not in seen
    assert "I answer commands" in await chat.say("Munich", as_="ana")
    member = await member_named(chat, "ana")
    assert member.location == "Berlin"
    async with chat.app.db.session() as session:
        assert all((await consents(session, member.id or 0)).values())


async def test_forgetme_leaves_no_label_name_against_the_member_in_the_audit(chat: Chat) -> None:
    await chat.onboard("ana")
    await chat.say("/label @ana past-candidate", as_="hr")
    ana = (await member_named(chat, "ana")).id
    await chat.say("/forgetme", "1", as_="ana")
    async with chat.app.db.session() as session:
        audit = list(
            await session.exec(select(AuditEntry).where(AuditEntry.target_member_id == ana))
        )
    assert [a.action for a in audit] == ["label"]  # that it happened stays ...
    assert audit[0].detail == {}  # ... not what it was
