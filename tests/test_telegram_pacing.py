"""Telegram pacing through PTB's own bot against the emulator's flood limits: a group gets no
more posts than its window allows, and a group's 429 holds up that group only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram.ext import ExtBot

from bot.adapters.telegram.adapter import request_over_aiohttp
from bot.adapters.telegram.pacing import EvenPacer
from tests.emulators.telegram import COMMUNITY_ID, Limits, TelegramEmulator, add_user, wait_for

WINDOW = 1.0  # seconds: Telegram's minute, shortened so that the test doesn't wait one


@pytest.fixture
async def tg() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(limits=Limits(group_per_minute=5, group_window=WINDOW))
    await emulator.start()
    yield emulator
    await emulator.stop()


def paced_bot(tg: TelegramEmulator, pacer: EvenPacer) -> ExtBot[None]:
    return ExtBot(
        tg.token,
        base_url=f"{tg.url}/bot",
        request=request_over_aiohttp(5, 5, connections=8),
        rate_limiter=pacer,  # type: ignore[arg-type]  # PTB narrows the limiter's type by chain
    )


def accepted(tg: TelegramEmulator, chat: int) -> list[float]:
    return [
        r.at
        for r in tg.requests
        if r.method == "sendMessage" and r.status == 200 and int(r.params["chat_id"]) == chat
    ]


@pytest.mark.paced
async def test_a_busy_group_gets_posts_as_fast_as_its_window_allows_and_no_429(
    tg: TelegramEmulator,
) -> None:
    async with paced_bot(tg, EvenPacer(29.5, group_per_minute=5, window=WINDOW)) as bot:
        await asyncio.gather(*(bot.send_message(COMMUNITY_ID, f"Post {i}") for i in range(12)))
    assert [r.status for r in tg.requests if r.method == "sendMessage"] == [200] * 12
    posts = accepted(tg, COMMUNITY_ID)
    assert all(later - first >= WINDOW for first, later in zip(posts, posts[5:], strict=False))


@pytest.mark.paced
async def test_a_429_on_a_group_holds_up_that_group_and_not_the_dms(tg: TelegramEmulator) -> None:
    members = [add_user(tg, f"Member{i}") for i in range(6)]
    for member in members:
        member.account.started = True
    tg.limits.group_per_minute = 1  # the group's real limit is lower than Roost thought
    async with paced_bot(tg, EvenPacer(29.5, group_per_minute=5, window=WINDOW)) as bot:
        await bot.send_message(COMMUNITY_ID, "First post")
        second = asyncio.create_task(bot.send_message(COMMUNITY_ID, "Second post"))
        await wait_for(tg, lambda: any(r.status == 429 for r in tg.requests))  # refused
        await asyncio.gather(*(bot.send_message(m.id, "News") for m in members))
        await second
    refused = [r for r in tg.requests if r.status == 429]
    assert [int(r.params["chat_id"]) for r in refused] == [COMMUNITY_ID]  # the group's only
    dms = [
        r.at
        for r in tg.requests
        if r.method == "sendMessage" and r.params["chat_id"] != str(COMMUNITY_ID)
    ]
    assert len(dms) == 6 and max(dms) < accepted(tg, COMMUNITY_ID)[1]  # DMs didn't wait
    assert tg.sends_inside_windows() == []
