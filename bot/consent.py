"""A member's message choices, as every feature that asks or shows them records and offers
them: the wording they were shown, where and when they answered, and the button that turns
one on or off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.context import Context
from bot.messages import ActionButton
from bot.payloads import Payload
from storage.members import ConsentKind, set_consent

KINDS = {"news": ConsentKind.NEWS, "jobs": ConsentKind.JOBS}
DESCRIBE = {ConsentKind.NEWS: "news and event DMs", ConsentKind.JOBS: "job invitations"}


@dataclass(frozen=True, slots=True)
class Choice(Payload, action="consent.set"):
    kind: str  # news or jobs
    state: str  # on or off

    def read(self) -> tuple[ConsentKind, bool] | None:
        if self.kind not in KINDS or self.state not in ("on", "off"):
            return None
        return KINDS[self.kind], self.state == "on"


def toggle(kind: ConsentKind, now_on: bool, label: str) -> ActionButton:
    """The button that turns a choice the other way."""
    return Choice(kind.value, "off" if now_on else "on").button(
        f"Turn {label} {'off' if now_on else 'on'}"
    )


async def record_consent(ctx: Context[Any], kind: ConsentKind, granted: bool) -> None:
    """The member's answer, with the wording they were shown, where and when they gave it."""
    await set_consent(
        ctx.session,
        ctx.member_id,
        kind,
        granted,
        wording_version=ctx.settings.onboarding.consent_version,
        platform=ctx.platform,
        now=ctx.now,
    )
