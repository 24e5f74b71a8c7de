"""A member's say over their data: consent, STOP, /mydata and /forgetme."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked
from bot.messages import ActionButton, Attachment, Message, Style
from bot.router import Action, Arg, Command, Router
from storage import privacy
from storage.members import ConsentKind, consents, set_consent

KINDS = {"news": ConsentKind.NEWS, "jobs": ConsentKind.JOBS}
DESCRIBE = {ConsentKind.NEWS: "news and event DMs", ConsentKind.JOBS: "job invitations"}


async def consent(ctx: Context[CommandInvoked]) -> None:
    kind, state = ctx.args.get("kind"), ctx.args.get("state")
    if kind is None or state is None:
        current = await consents(ctx.session, ctx.member_id)
        lines = [
            f"• {DESCRIBE[k].capitalize()}: {'on' if v else 'off'}" for k, v in current.items()
        ]
        ctx.dm(
            Message(
                title="Your message choices",
                body="\n".join([*lines, f"Change one with `{ctx.cmd('consent', 'news on')}`."]),
                buttons=tuple(
                    ActionButton(
                        f"Turn {DESCRIBE[k]} {'off' if v else 'on'}",
                        "consent.set",
                        f"{k.value}:{'off' if v else 'on'}",
                    )
                    for k, v in current.items()
                ),
            )
        )
        return
    await _set(ctx, KINDS[kind], state == "on")


async def consent_pressed(ctx: Context[ActionPressed]) -> None:
    kind, _, state = ctx.event.value.partition(":")
    if kind not in KINDS or state not in ("on", "off"):
        ctx.reply(f"That button no longer works. Type {ctx.cmd('consent')} to see your choices.")
        return
    await _set(ctx, KINDS[kind], state == "on")


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


async def _set(
    ctx: Context[CommandInvoked] | Context[ActionPressed], kind: ConsentKind, granted: bool
) -> None:
    await record_consent(ctx, kind, granted)
    ctx.dm(f"Done: {DESCRIBE[kind]} are now {'on' if granted else 'off'}.")


async def stop(ctx: Context[CommandInvoked]) -> None:
    """Withdraws every consent at once, with exactly one confirmation."""
    current = await consents(ctx.session, ctx.member_id)
    for kind, granted in current.items():
        if granted:
            await record_consent(ctx, kind, False)
    ctx.reply(
        "Done: you won't get any more messages from us unless you ask for them. "
        f"You're still in the community; {ctx.cmd('consent')} turns messages back on, "
        f"{ctx.cmd('forgetme')} erases your data."
    )


async def mydata(ctx: Context[CommandInvoked]) -> None:
    data = await privacy.export(ctx.session, ctx.member_id)
    ctx.dm(
        Message(
            title="Your data",
            body="Everything we hold about you, as JSON.",
            attachment=Attachment("roost-mydata.json", privacy.to_json(data), "application/json"),
        )
    )


async def forgetme(ctx: Context[CommandInvoked]) -> None:
    ctx.dm(
        Message(
            title="Erase your data?",
            body=(
                "This deletes your profile, your message choices and your accounts with us on "
                "every platform. Anonymous counts (such as how many people joined an event) "
                "stay. It cannot be undone."
            ),
            buttons=(
                ActionButton("Yes, erase everything", "forgetme.confirm", style=Style.DANGER),
                ActionButton("Keep my data", "forgetme.cancel"),
            ),
        )
    )


async def forget_confirmed(ctx: Context[ActionPressed]) -> None:
    await privacy.erase(ctx.session, ctx.member_id, ctx.now)
    ctx.session.expunge(ctx.identity)
    ctx.session.expunge(ctx.member)
    ctx.reply(f"Your data has been erased. Goodbye; you're always welcome back: {ctx.cmd('join')}.")


async def forget_cancelled(ctx: Context[ActionPressed]) -> None:
    ctx.reply("Nothing was erased.")


router = Router(
    "privacy",
    commands=(
        Command(
            "consent",
            consent,
            "See or change which messages we may send you.",
            args=(
                Arg("kind", required=False, choices=("news", "jobs")),
                Arg("state", required=False, choices=("on", "off")),
            ),
        ),
        Command(
            "stop",
            stop,
            "Stop all messages from us (typing STOP works too).",
            aliases=("unsubscribe",),
        ),
        Command("mydata", mydata, "Get a copy of everything we hold about you."),
        Command("forgetme", forgetme, "Erase your data from Roost."),
    ),
    actions=(
        Action("consent.set", consent_pressed),
        Action("forgetme.confirm", forget_confirmed),
        Action("forgetme.cancel", forget_cancelled),
    ),
)
