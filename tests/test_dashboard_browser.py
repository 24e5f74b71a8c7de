"""The dashboard in a real browser: Playwright driving Debian's Chromium (`/usr/bin/chromium`,
never a downloaded one). HR signs in through the link `/dashboard` DMs on the console, finds
members, reads one's record, labels them, exports the segment, and sees a join made in chat
appear. Without Chromium this is skipped with the reason; in CI it fails instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from tests.chat import Chat
from tests.test_dashboard import base, link_for, settings_with
from tests.test_dashboard import chat as chat  # the fixture, with its web server

CHROMIUM = os.environ.get("ROOST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = os.environ.get("ROOST_SCREENSHOTS")  # a folder: the README's pictures are taken there


async def shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"dashboard-{name}.png"), full_page=True)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not Path(CHROMIUM).exists():  # noqa: ASYNC240  (one stat, before the browser starts)
        reason = f"no Chromium at {CHROMIUM}: `make browser` installs Debian's"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        await launched.close()


async def test_hr_signs_in_from_chat_finds_labels_and_exports_members(
    chat: Chat, browser: Any, db: Database
) -> None:
    await chat.onboard("ana", function="data", seniority="senior", location="Berlin")
    await chat.onboard("ben", function="design")
    page = await browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    await page.goto(await link_for(chat))
    assert await page.locator("h1").inner_text() == "Overview"
    assert "members" in await page.locator(".figures").inner_text()
    await shot(page, "overview")

    await page.click("text=Members")
    await page.fill("input[name=filters]", "function=data")
    await page.click("button:has-text('Find')")
    table = await page.locator("table").inner_text()
    assert "Ana" in table and "Ben" not in table
    assert "1 member match." in await page.content()
    await shot(page, "members")

    await page.click("text=Ana")
    record = await page.locator("main").inner_text()
    assert "data · senior · Berlin" in record and "joined on console via direct" in record
    await page.fill("input[name=label]", "Python Meetup")
    await page.click("button:has-text('Label')")
    assert "python-meetup" in await page.locator("main").inner_text()
    await shot(page, "member")

    await page.click("text=Members")
    await page.fill("input[name=filters]", "function=data")
    await page.click("button:has-text('Find')")
    async with page.expect_download() as waiting:
        await page.click("text=Export as CSV")
    download = await waiting.value
    exported = Path(await download.path()).read_text()  # noqa: ASYNC240  (a small local file)
    assert exported.splitlines()[0].startswith("member,name,function")
    assert len(exported.splitlines()) == 2 and ",Ana," in exported

    await chat.onboard("cy", function="data")  # a join in chat, while HR looks
    await page.reload()
    assert "Cy" in await page.locator("table").inner_text()

    for link, heading in (("Funnel", "Funnel"), ("Invite codes", "Invite codes"),
                          ("Activities", "Activities"), ("Content", "Content"),
                          ("Campaigns", "Campaigns")):  # fmt: skip
        await page.click(f"header >> text={link}")
        assert await page.locator("h1").inner_text() == heading

    await page.click("button:has-text('Sign out')")
    await page.goto(base(chat) + "/dashboard/members")
    assert "Sign in from chat" in await page.content()  # signed out: anonymous again

    await page.goto(await link_for(chat))  # in again, then demoted while looking
    chat.app.web.dashboard.settings = settings_with(["console:boss"])
    await page.reload()
    assert "The dashboard is for the HR team." in await page.content()
    for path in ("/dashboard", "/dashboard/members", "/dashboard/funnel"):
        await page.goto(base(chat) + path)
        assert "Sign in from chat" in await page.content()
