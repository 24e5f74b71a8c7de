"""Jobs that come to members: alerts for new jobs that fit (`/alerts`), and a Not now that
comes back once the time has passed and a job of the same kind is open."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.boards import BoardError, function_of, read_boards
from bot.context import Context
from bot.events import CommandInvoked
from bot.handlers.pipeline.kinds import INVITATION, JOB_ALERT
from bot.kinds import CampaignKind, Launch, Signal
from bot.parsing import ParseError, bounded, options
from bot.router import UsageError
from bot.settings import Settings
from storage.campaigns import Audience, list_members
from storage.db import Session
from storage.members import ConsentKind
from storage.models import Job, JobAlert
from storage.models.states import CampaignStatus
from storage.openings import (
    alerts_of,
    due_to_come_back,
    jobs_invited_to,
    newest_open_job,
    stop_alerts,
    subscribers,
    sync_board,
)

CRITERIA = ("function", "seniority", "location")
LOCATION = 100  # characters, as in a profile
log = logging.getLogger("roost.jobs")


async def alerts(ctx: Context[CommandInvoked]) -> None:
    """`/alerts` lists them; `/alerts function=data location=Berlin` adds one; `/alerts off`."""
    text = ctx.args.get("criteria", "").strip()
    if text.lower() == "off":
        await stop_alerts(ctx.session, ctx.member_id)
        ctx.reply("Done: no more job alerts.")
        return
    if not text:
        mine = await alerts_of(ctx.session, ctx.member_id)
        lines = [f"• {_describe(a)}" for a in mine]
        example = ctx.cmd("alerts", f"function={ctx.member.function or 'data'} location=Berlin")
        ctx.reply(
            "Your job alerts:\n" + "\n".join(lines) + f"\n`{ctx.cmd('alerts', 'off')}` stops them."
            if lines
            else f"No job alerts yet. Add one: `{example}`"
        )
        return
    try:
        given, rest = options(text, CRITERIA)
        if rest or not given:
            raise UsageError(f"use {', '.join(f'{c}=…' for c in CRITERIA)}")
        onboarding = ctx.settings.onboarding
        for key, allowed in (
            ("function", onboarding.functions),
            ("seniority", onboarding.seniorities),
        ):
            if key in given and given[key].lower() not in allowed:
                raise UsageError(f"{key} is one of {', '.join(allowed)}")
        if "location" in given:
            bounded(given["location"], "location=", LOCATION)
    except (UsageError, ParseError) as exc:
        ctx.refuse(f"Hmm, {exc}. Example: `{ctx.cmd('alerts', 'function=data location=Berlin')}`")
        return
    alert = JobAlert(
        member_id=ctx.member_id,
        function=given.get("function", "").lower() or None,
        seniority=given.get("seniority", "").lower() or None,
        location=given.get("location") or None,
        created_at=ctx.now,
    )
    ctx.session.add(alert)
    consent = (
        ""
        if ctx.member.consent_jobs
        else (
            f" Job messages are off for you: `{ctx.cmd('consent', 'jobs on')}` lets them through."
        )
    )
    ctx.reply(f"Done: you'll hear of new jobs for {_describe(alert)}.{consent}")


def _describe(alert: JobAlert) -> str:
    return ", ".join(f"{c} {getattr(alert, c)}" for c in CRITERIA if getattr(alert, c))


async def come_back(session: Session, now: datetime, settings: Settings) -> list[Signal]:
    """Each Not now given for timing `not_now_days` ago comes back as an invitation to the
    newest open job of the same function, if there is one (once)."""
    after = timedelta(days=settings.pipeline.not_now_days)
    inviting: dict[int, list[int]] = defaultdict(list)
    jobs: dict[int, Job] = {}
    for invitation, declined in await due_to_come_back(session, now, after):
        invited = await jobs_invited_to(session, invitation.member_id)
        job = await newest_open_job(session, declined.function, now, invited)
        if job is None or job.id is None:
            continue  # nothing fits yet: asked again tomorrow
        invitation.came_back_at = now
        inviting[job.id].append(invitation.member_id)
        jobs[job.id] = job
    signals: list[Signal] = []
    for job_id, members in inviting.items():
        signals.append(Launch(await invite(session, INVITATION, job_id, members, now)))
    return signals


JOB_MESSAGES = Audience(dm=True, consent=ConsentKind.JOBS)


async def invite(
    session: Session, kind: CampaignKind, job_id: int, members: Sequence[int], now: datetime
) -> int:
    """A campaign of `kind` about a job to exactly these members (the outbox still asks their
    consent to job messages and the frequency cap), ready to launch; its id."""
    campaign = kind.campaign(job_id, JOB_MESSAGES, now, status=CampaignStatus.SCHEDULED)
    await list_members(session, campaign, members)
    return campaign.id or 0


async def alert(session: Session, job: Job, now: datetime) -> int | None:
    """A job alert to the job's subscribers (through the outbox, so consent to job messages
    and the frequency cap decide), ready to launch; its id, or None for nobody."""
    members = await subscribers(session, job)
    if not members or job.id is None:
        return None
    return await invite(session, JOB_ALERT, job.id, members, now)


async def import_boards(session: Session, now: datetime, settings: Settings) -> list[Signal]:
    """The daily import from the configured ATS boards; a job alert for each new job."""
    report, signals = await sync_boards(session, now, settings)
    if report:
        log.info("job boards: %s", report)
    return signals


async def sync_boards(
    session: Session, now: datetime, settings: Settings
) -> tuple[str, list[Signal]]:
    """Read every configured board and match Roost's jobs to it; (what happened, launches)."""
    p = settings.pipeline
    boards = await read_boards(
        p.greenhouse_board,
        p.lever_site,
        greenhouse_api=p.greenhouse_api,
        lever_api=p.lever_api,
    )
    lines: list[str] = []
    signals: list[Signal] = []
    functions = settings.onboarding.functions
    for prefix, postings in boards.items():
        name = prefix.rstrip(":").capitalize()
        if isinstance(postings, BoardError):
            lines.append(f"{name}: not read ({postings})")
            continue
        added, closed = await sync_board(
            session, prefix, postings, now, lambda d: function_of(d, functions)
        )
        for job in added:
            if (campaign := await alert(session, job, now)) is not None:
                signals.append(Launch(campaign))
        lines.append(f"{name}: {len(postings)} open, {len(added)} new, {closed} closed")
    return "; ".join(lines), signals
