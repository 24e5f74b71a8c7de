"""A person at the console: type lines as a user, read what Roost answered."""

from __future__ import annotations

import io
from dataclasses import dataclass

from bot.adapters.console import ConsoleAdapter
from bot.app import App, build_app
from bot.clock import Clock
from bot.events import ChatKind
from bot.settings import Settings
from storage.db import Database


@dataclass
class Chat:
    app: App
    console: ConsoleAdapter
    out: io.StringIO

    @classmethod
    def start(cls, settings: Settings, db: Database, clock: Clock) -> Chat:
        out = io.StringIO()
        console = ConsoleAdapter(user="guest", out=out, interactive=False)
        return cls(build_app(settings, [console], db, clock), console, out)

    async def say(self, *lines: str, as_: str | None = None, channel: bool = False) -> str:
        """Type `lines` one after another as `as_`; everything Roost printed meanwhile."""
        if as_:
            self.console.user = as_
        self.console.chat_kind = ChatKind.CHANNEL if channel else ChatKind.DM
        start = len(self.out.getvalue())
        for line in lines:
            await self.console.process(line, self.app.handle)
        return self.out.getvalue()[start:]

    async def onboard(
        self,
        user: str,
        *,
        code: str = "",
        function: str = "engineering",
        seniority: str = "senior",
        location: str = "Berlin",
        interests: str = "-",
        news: str = "yes",
        jobs: str = "yes",
    ) -> str:
        join = f"/join {code}".strip()
        answers = (function, seniority, location, interests, news, jobs)
        return await self.say(join, *answers, as_=user)
