"""Crash safety of the outbox with a real Roost process: SIGKILL mid-campaign, restart, and
nobody is lost; only the rows reported uncertain can have gone out twice or not at all."""

from __future__ import annotations

import re
from collections import Counter
from functools import partial
from pathlib import Path

from sqlmodel import select

from bot.clock import SystemClock
from storage.db import Database
from storage.models import Delivery, Identity
from tests.emulators.telegram import TelegramEmulator, wait_for
from tests.processes import Processes, all_sent, settings_file, until
from tests.seed import telegram_campaign

MEMBERS = 150
BATCH, IN_FLIGHT = 20, 4  # rows a worker claims at once, and sends it has on the wire


async def test_sigkill_mid_campaign_loses_nobody(tmp_path: Path, db: Database) -> None:
    """Killed three times mid-campaign, Roost loses nobody: a claimed row that was not yet on
    the wire is sent after the restart, and only sends that were on the wire (at most the
    sends in flight) are uncertain: `unknown`, counted in the log, never resent."""
    tg = TelegramEmulator()
    await tg.start()
    users = await telegram_campaign(db, tg, MEMBERS, SystemClock().now())

    config = settings_file(
        tmp_path,
        tg,
        outbox={"batch": BATCH, "concurrency": IN_FLIGHT},
        processes={"lease_seconds": 1},
    )
    url = db.url.render_as_string(hide_password=False)
    roost = Processes(config, {"ROOST_DATABASE_URL": url, "ROOST_TELEGRAM_TOKEN": tg.token})

    def delivered() -> Counter[str]:
        return Counter(str(m["chat"]["id"]) for (chat, _), m in tg.messages.items() if chat > 0)

    def reached(count: int) -> bool:
        return sum(delivered().values()) >= count

    try:
        for after in (25, 60, 95):
            pid = await roost.start()
            await wait_for(tg, partial(reached, after), seconds=30)
            await roost.kill(pid)
        assert sum(delivered().values()) < MEMBERS  # killed mid-campaign, every time
        await roost.start()
        await until(lambda: all_sent(db), tg._changed, seconds=60)
    finally:
        await roost.stop_all()
        await tg.stop()

    async with db.session() as session:
        rows = list(await session.exec(select(Delivery)))
        member_of = {i.platform_user_id: i.member_id for i in await session.exec(select(Identity))}
    states = Counter(r.state for r in rows)
    uncertain = {r.member_id for r in rows if r.state == "unknown"}
    got = delivered()
    twice = {member_of[u] for u, n in got.items() if n > 1}
    never = {member_of[str(u.id)] for u in users if str(u.id) not in got}
    assert states["sent"] + states["unknown"] == MEMBERS
    assert not twice  # Telegram has no idempotent sends: an uncertain row is never resent
    assert never <= uncertain  # nobody lost beyond the rows reported uncertain
    assert len(uncertain) <= 3 * IN_FLIGHT < 3 * BATCH  # at most what was on the wire
    said = roost.said()
    reported = sum(int(n) for n in re.findall(r"(\d+) uncertain", said))
    assert reported == len(uncertain)
