"""The talent pipeline on every platform, through the real libraries: HR makes a code and gets
its links and QR code; a member joins through the platform's own way in and is attributed;
an invitation to apply reaches them; their "not for me" is asked why in the platform's own
form; HR's funnel arrives as a chart."""

from __future__ import annotations

from sqlmodel import select

from bot.clock import ManualClock
from storage.db import Database
from storage.models import Feedback, Invitation, InviteCode, Join
from tests.emulators.discord.driver import add_member
from tests.emulators.slack import COMMUNITY
from tests.emulators.telegram import wait_for
from tests.roost_on_discord import roost_on_discord
from tests.roost_on_slack import roost_on_slack
from tests.roost_on_telegram import roost_on_telegram
from tests.test_discord import FIRST
from tests.test_slack import ANSWERS
from tests.test_telegram import onboard as telegram_onboard

JOB = {
    "title": "Data engineer",
    "function": "engineering",
    "seniority": "senior",
    "location": "Remote",
    "apply_url": "https://ats.example/jobs/9",
}


async def links(db: Database, code: str) -> dict[str, dict[str, str]]:
    async with db.session() as session:
        invite = (await session.exec(select(InviteCode).where(InviteCode.code == code))).one()
        return invite.platform_links


async def facts(db: Database) -> tuple[list[str], list[str], list[str]]:
    async with db.session() as session:
        sources = [j.source for j in await session.exec(select(Join))]
        statuses = [i.status for i in await session.exec(select(Invitation))]
        reasons = [f.reason for f in await session.exec(select(Feedback))]
    return sources, statuses, reasons


async def test_on_telegram(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_telegram(sqlite_db, clock) as roost:
        hana = roost.hana
        seen = await roost.say(hana, "/invites create alumni code=ALUM")
        assert "Invite code ALUM" in seen and "Telegram group invite" in seen
        assert hana.messages()[-1]["photo"]  # the QR code, as a photo with the links below it
        group_link = (await links(sqlite_db, "ALUM"))["telegram"]["group_link"]
        assert roost.tg.links[group_link]["name"] == "ALUM"

        ana = roost.user("Ana")
        await roost.act(ana.join(group_link))
        await telegram_onboard(roost, ana)  # says yes to job invitations
        seen = await roost.say(hana, "/jobs add", *JOB.values(), "-")
        assert "Saved as job #1" in seen
        assert "1 would receive it" in await roost.say(hana, "/jobs invite 1")
        await roost.press(hana, "Send to 1")
        await wait_for(roost.tg, lambda: "Invitation to apply" in ana.text())
        invitation = ana.last(with_buttons=True)
        assert invitation["text"].startswith("Invitation to apply: Data engineer")
        assert invitation["entities"][0]["type"] == "bold"  # the title, rendered as HTML
        await roost.act(ana.press("Not for me", invitation))
        await roost.press(ana, "salary")
        assert "Thank you, that helps" in await roost.say(ana, "-")

        seen = await roost.say(hana, "/stats funnel")
        assert "Bottleneck: responded → interested" in seen  # Not for me is an answer
        assert hana.messages()[-1].get("photo")  # the chart
    assert await facts(sqlite_db) == (["alumni"], ["not_for_me"], ["salary"])


async def test_on_slack(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_slack(sqlite_db, clock) as roost:
        hana = roost.hana
        seen = await roost.run(hana, "invites create job-fair code=FAIR", channel=COMMUNITY)
        assert "Invite code FAIR" in seen and "/roost join FAIR" in seen
        uploads = [m["files"] for m in hana.messages() if m.get("files")]
        assert uploads[-1][0]["name"] == "image.png"  # the QR code: in HR's DM, files can't hide

        ana = roost.user("Ana")
        await roost.run(ana, "join FAIR")
        await roost.act(ana.submit({**ANSWERS, "function": "engineering", "jobs": "yes"}))
        await roost.run(hana, "jobs add")
        await roost.act(hana.submit({**JOB, "closes": ""}))
        assert "1 would receive it" in await roost.run(hana, "jobs invite 1")
        await roost.press(hana, "Send to 1")
        await roost.slack.wait_for(lambda: "Invitation to apply" in ana.text())
        await roost.act(ana.press("Not for me"))
        assert ana.open_view()["title"]["text"] == "What held you back?"
        await roost.act(ana.submit({"reason": "location", "comment": "Too far"}))

        seen = await roost.run(hana, "stats funnel")
        assert "*Bottleneck:* responded → interested: only 0% get through" in seen
        assert len([m for m in hana.messages() if m.get("files")]) == 2  # and the chart
    assert await facts(sqlite_db) == (["job-fair"], ["not_for_me"], ["location"])


async def test_on_discord(sqlite_db: Database, clock: ManualClock) -> None:
    async with roost_on_discord(sqlite_db, clock) as roost:
        hana = roost.hana
        seen = await roost.slash(hana, "invites", action="create", details="social code=SOC")
        assert "Invite code SOC" in seen
        assert hana.messages()[-1]["attachments"][0]["filename"] == "image.png"
        invite = (await links(sqlite_db, "SOC"))["discord"]["invite"].rsplit("/", 1)[1]

        ana = add_member(roost.discord, "Ana")
        await roost.act(ana.join(invite))
        await roost.slash(ana, "join")
        await roost.act(ana.submit(FIRST))
        await roost.press(ana, "Continue (2/2)")
        await roost.act(ana.submit({"jobs": "yes"}))

        await roost.slash(hana, "jobs", action="add")
        await roost.act(hana.submit(JOB))
        await roost.press(hana, "Continue (2/2)")
        await roost.act(hana.submit({"closes": ""}))
        assert "Saved as job #1" in hana.text(), hana.text()
        seen = await roost.slash(hana, "jobs", action="invite", details="1")
        assert "1 would receive it" in seen
        await roost.press(hana, "Send to 1")
        await roost.discord.wait_for(lambda: "Invitation to apply" in ana.text())
        await roost.act(ana.press("Not now"))
        assert ana.modal()["title"] == "What held you back?"
        await roost.act(ana.submit({"reason": "timing", "comment": ""}))

        await roost.slash(hana, "stats", action="funnel")
        assert hana.messages()[-1]["attachments"][0]["filename"] == "image.png"  # the chart
    assert await facts(sqlite_db) == (["social"], ["not_now"], ["timing"])
