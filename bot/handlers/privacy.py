"""A member's say over their data: consent, STOP, /mydata and /forgetme."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.consent import DESCRIBE, KINDS, Choice, record_consent, toggle
from bot.context import Context
from bot.events import ActionPressed, CommandInvoked
from bot.kinds import CampaignKind, Duty, Launch, Render, Signal, Subject
from bot.messages import ActionButton, Attachment, LinkButton, Message, MessageField, Style
from bot.router import Action, Arg, Command, Role, Router
from bot.settings import Settings
from storage import privacy
from storage.campaigns import Audience, list_members
from storage.db import Session
from storage.members import ConsentKind, consents, set_consent
from storage.models import AuditEntry, Campaign
from storage.models.states import CampaignStatus

DAYS_A_MONTH = 30.44  # a month of a consent's lifetime or the retention, on average


async def consent(ctx: Context[Any]) -> None:
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
                buttons=tuple(toggle(k, v, DESCRIBE[k]) for k, v in current.items()),
            )
        )
        return
    await _set(ctx, KINDS[kind], state == "on")


async def consent_pressed(ctx: Context[ActionPressed]) -> None:
    chosen = Choice.of(ctx).read()
    if chosen is None:
        ctx.refuse(f"That button no longer works. Type {ctx.cmd('consent')} to see your choices.")
        return
    await _set(ctx, *chosen)


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


async def forgetme(ctx: Context[Any]) -> None:
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


# -- keeping people only while we may: renewal, lapse, warning, erasure ----------------------


def _privacy_link(settings: Settings) -> tuple[LinkButton, ...]:
    url = settings.privacy.notice_url
    return (LinkButton("Privacy notice", url),) if url else ()


class RenewalComposer:
    """Asks a member to keep (renew) their choices, or agree to a new privacy notice."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, _session: Session, _campaign: Campaign, _subject: None) -> Render:
        months = self.settings.privacy.consent_months
        message = Message(
            title="Shall we stay in touch?",
            body=(
                f"We keep your details and your message choices only while you want us to: a "
                f"choice lapses {months} months after you make it, and our privacy notice is now "
                f"version {self.settings.onboarding.privacy_version}. Keep me renews your choices; "
                "if you don't answer, we stop writing when they lapse."
            ),
            buttons=(
                ActionButton("Keep me", "privacy.keep", style=Style.PRIMARY),
                ActionButton("Change my choices", "privacy.change"),
                ActionButton("Forget me", "privacy.forget", style=Style.DANGER),
                *_privacy_link(self.settings),
            ),
        )
        return lambda _row: message


class WarningComposer:
    """Tells an inactive member their data will be erased, and how to stay."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, _session: Session, _campaign: Campaign, _subject: None) -> Render:
        days, name = self.settings.privacy.notice_days, self.settings.community.name
        message = Message(
            title="We'll erase your data soon",
            body=(
                f"You haven't been active in the {name} for a long while. We keep people's data "
                f"only while they take part, so in {days} days we'll erase yours. Press Keep me "
                "(or do anything here) to stay."
            ),
            buttons=(
                ActionButton("Keep me", "privacy.keep", style=Style.PRIMARY),
                ActionButton("Forget me", "privacy.forget", style=Style.DANGER),
            ),
        )
        return lambda _row: message


async def what_is_due(session: Any, now: datetime, settings: Settings) -> privacy.Due:
    rules = settings.privacy
    return await privacy.due(
        session,
        now,
        lifetime=timedelta(days=round(rules.consent_months * DAYS_A_MONTH)),
        retention=timedelta(days=round(rules.retention_months * DAYS_A_MONTH)),
        notice=timedelta(days=rules.notice_days),
        version=settings.onboarding.privacy_version,
    )


async def sweep(session: Any, now: datetime, settings: Settings) -> list[Signal]:
    """The daily privacy sweep: lapse what was not renewed, erase who was warned and stayed
    away (audited), and make the renewal requests and warnings due today."""
    due = await what_is_due(session, now, settings)
    for member_id, kind in due.expire:
        await set_consent(
            session,
            member_id,
            ConsentKind(kind),
            False,
            wording_version=privacy.LAPSED,
            platform="roost",
            now=now,
        )
    for member_id in due.purge:
        await privacy.erase(session, member_id, now)
        session.add(
            AuditEntry(
                actor_member_id=None,
                action="privacy.purge",
                target_member_id=member_id,
                detail={
                    "reason": "inactive past the retention; not warned: they allowed no message"
                    if member_id in due.unwarned
                    else "inactive past the retention, warned"
                },
                platform="roost",
                at=now,
            )
        )
    signals: list[Signal] = []
    asked = Audience(dm=True, everyone=True, version=settings.onboarding.privacy_version)
    for notice, members in ((RENEWAL, due.renew), (WARNING, due.warn)):
        if members:
            campaign = notice.campaign(0, asked, now, status=CampaignStatus.SCHEDULED)
            await list_members(session, campaign, members)
            signals.append(Launch(campaign.id or 0))
    return signals


async def keep(ctx: Context[ActionPressed]) -> None:
    """Keep me: every choice still on is given again today, and the current notice agreed to."""
    for kind, granted in (await consents(ctx.session, ctx.member_id)).items():
        if granted:
            await record_consent(ctx, kind, True)
    ctx.member.privacy_version = ctx.settings.onboarding.privacy_version
    until = ctx.now + timedelta(days=round(ctx.settings.privacy.consent_months * DAYS_A_MONTH))
    ctx.reply(f"Thank you, we'll stay in touch. Your choices now hold until {until:%d %b %Y}.")


SWEEP = Duty("privacy", sweep, hour=3)
NOTICE = Subject("privacy")  # about their data, not a row of ours
RENEWAL = CampaignKind(
    privacy.RENEWAL, NOTICE, RenewalComposer, label="privacy renewal", solicited=True
)
WARNING = CampaignKind(
    privacy.WARNING, NOTICE, WarningComposer, label="erasure warning", solicited=True
)


async def due_now(ctx: Context[CommandInvoked]) -> None:
    """/privacy due: what the next sweep will do, for HR."""
    due = await what_is_due(ctx.session, ctx.now, ctx.settings)
    hour = SWEEP.at(ctx.settings)
    ctx.reply(
        Message(
            title="Privacy: what is due",
            body=f"The sweep runs every day at {hour:02d}:00 ({ctx.settings.community.timezone}).",
            fields=(
                MessageField("Renewal requests to send", str(len(due.renew))),
                MessageField("Choices lapsing unrenewed", str(len(due.expire))),
                MessageField("Inactive members to warn", str(len(due.warn))),
                MessageField("Members to erase", str(len(due.purge))),
            ),
        )
    )


router = Router(
    "privacy",
    kinds=(
        RENEWAL,
        WARNING,
    ),
    duties=(SWEEP,),
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
            # `/stop now please` is a STOP all the same: whatever follows is never a reason
            # to refuse an opt-out
            args=(Arg("anything", "ignored", required=False, rest=True),),
        ),
        Command("mydata", mydata, "Get a copy of everything we hold about you."),
        Command("forgetme", forgetme, "Erase your data from Roost."),
        Command(
            "privacy",
            None,
            "Keeping people only while we may.",
            role=Role.HR,
            subcommands=(
                Command(
                    "due",
                    due_now,
                    "What the daily privacy sweep will do: renewals, lapses, warnings, erasures.",
                    role=Role.HR,
                ),
            ),
        ),
    ),
    actions=(
        Action.taking(Choice, consent_pressed),
        Action("forgetme.confirm", forget_confirmed),
        Action("forgetme.cancel", forget_cancelled),
        Action("privacy.keep", keep),
        Action("privacy.change", consent),
        Action("privacy.forget", forgetme),
    ),
)
