"""Jobs and invitations to apply: HR registers a job, previews who an invitation would reach,
sends it through the outbox; members answer Apply, Interested, Not now or Not for me (with a
reason); HR, or the applicant tracking system, reports how far each candidate got."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.handlers.admin import MEMBER_HINT
from bot.handlers.openings import sync_boards
from bot.kinds import CampaignKind, Launch, Launching
from bot.messages import (
    ActionButton,
    DirectTarget,
    FieldKind,
    Form,
    FormField,
    LinkButton,
    Message,
    MessageField,
    Style,
)
from bot.parsing import ParseError, day, end_of, ident
from bot.router import Action, Arg, Command, FormHandler, Role, Router, UsageError
from bot.segments import member_filter, parse_filter, stored_filter
from bot.settings import Settings
from storage.members import ConsentKind, accounts_named, resolve
from storage.models import Campaign, Delivery, Feedback, Identity, Invitation, Job
from storage.models.states import CampaignStatus, InvitationStatus
from storage.openings import alert_campaign, open_jobs
from storage.outbox import Recipients, decide
from storage.pipeline import (
    PROGRESS,
    REASONS,
    advance,
    exclusions,
    invitation_by_token,
    invitation_of,
    invite_rows,
    jobs_with_counts,
    latest_declined,
)

FEEDBACK = "job.feedback"


def job_form(ctx: Context[Any]) -> Form:
    options = ctx.settings.onboarding
    return Form(
        id="job.add",
        title="Register a job",
        fields=(
            FormField("title", "Job title", max_length=120),
            FormField("function", "Function", FieldKind.CHOICE, options.functions),
            FormField("seniority", "Seniority", FieldKind.CHOICE, options.seniorities),
            FormField("location", "Location (city, country or remote)", max_length=100),
            FormField(
                "apply_url",
                "Where to apply (your ATS link, https://…)",
                FieldKind.LINK,
                max_length=500,
            ),
            FormField("closes", "Closing date, YYYY-MM-DD (optional)", required=False),
        ),
        submit_label="Save job",
    )


FEEDBACK_FORM = Form(
    id=FEEDBACK,
    title="What held you back?",
    intro="One question, so we invite you to better things. Thank you!",
    fields=(
        FormField("reason", "The main reason", FieldKind.CHOICE, REASONS),
        FormField("comment", "Anything to add? (optional)", required=False, max_length=500),
    ),
    submit_label="Send",
)


def invitation_message(
    job: Job, token: str, public_url: str, title: str = "Invitation to apply"
) -> Message:
    """What a member invited to apply sees: the job and four ways to answer."""
    fields = [
        MessageField("Function", job.function),
        MessageField("Seniority", job.seniority or "—"),
        MessageField("Location", job.location or "—"),
    ]
    if job.closes_at:
        fields.append(MessageField("Apply by", f"{job.closes_at:%d %b %Y}"))
    return Message(
        title=f"{title}: {job.title}",
        body="We think this role fits your profile. Have a look, and tell us what you think.",
        fields=tuple(fields),
        buttons=(
            LinkButton("Apply", f"{public_url.rstrip('/')}/r/{token}"),
            ActionButton("I'm interested", "job.interested", token, Style.PRIMARY),
            ActionButton("Not now", "job.not_now", token),
            ActionButton("Not for me", "job.not_for_me", token),
        ),
    )


class InvitationComposer:
    """The outbox's view of an invitation campaign's row (or a job alert's: the same answers
    under another title)."""

    def __init__(self, public_url: str, title: str = "Invitation to apply") -> None:
        self.public_url, self.title = public_url, title

    async def __call__(self, session: Any, campaign: Campaign) -> Callable[[Delivery], Message]:
        job = await session.get(Job, campaign.subject_id)
        assert job is not None
        return lambda row: invitation_message(job, row.token or "", self.public_url, self.title)


# -- HR ---------------------------------------------------------------------------------------


async def added(ctx: Context[FormSubmitted]) -> None:
    values = ctx.event.values
    url, closes = values["apply_url"], values["closes"]
    closes_at = None
    if closes:
        tz = ctx.settings.community.timezone
        try:
            closes_at = end_of(day(closes, "the closing date"), tz)
        except ParseError as exc:
            ctx.reply(f"Hmm, {exc}. Nothing was saved.")
            return
        if closes_at <= ctx.now:
            ctx.reply("That closing date has passed. Nothing was saved.")
            return
    job = Job(
        title=values["title"],
        function=values["function"],
        seniority=values["seniority"],
        location=values["location"],
        apply_url=url,
        closes_at=closes_at,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(job)
    await ctx.session.flush()
    ctx.audit("jobs.add", job=job.id)
    alerting = await alert_campaign(ctx.session, job, ctx.now)
    if alerting is not None:
        ctx.signal(Launch(alerting))
    example = ctx.cmd("jobs", f"invite {job.id} function={job.function}")
    alerted = " Members with a matching job alert hear of it." if alerting else ""
    ctx.reply(f"Saved as job #{job.id}: {job.title}. Invite members with `{example}`.{alerted}")


async def import_now(ctx: Context[CommandInvoked]) -> None:
    p = ctx.settings.pipeline
    if not (p.greenhouse_board or p.lever_site):
        ctx.reply("No job board is set: [pipeline] greenhouse_board or lever_site.")
        return
    report, signals = await sync_boards(ctx.session, ctx.now, ctx.settings)
    for signal in signals:
        ctx.signal(signal)
    ctx.reply(f"Imported. {report}.")


async def fitting_jobs(ctx: Context[CommandInvoked]) -> None:
    await _open_jobs(ctx, everything=False)


async def every_job(ctx: Context[CommandInvoked]) -> None:
    await _open_jobs(ctx, everything=True)


async def add_job(ctx: Context[CommandInvoked]) -> None:
    ctx.ask(job_form(ctx))


async def _open_jobs(ctx: Context[CommandInvoked], *, everything: bool) -> None:
    """What members see: the open jobs that fit their profile (or all of them)."""
    fitting = None if everything else ctx.member
    found = await open_jobs(ctx.session, ctx.now, fitting)
    lines = [
        f"**{j.title}** · {' · '.join(p for p in (j.function, j.seniority, j.location) if p)}"
        f" · [apply]({j.apply_url})"
        for j in found
    ]
    hint = (
        f"\n\n`{ctx.cmd('jobs', 'all')}` shows every open job; `{ctx.cmd('alerts')}` tells "
        "you of new ones."
    )
    if not lines:
        body = "No open job fits your profile just now." if fitting else "No open jobs just now."
    else:
        body = "\n".join(lines)
    title = "Open jobs" + ("" if everything else " for you")
    ctx.reply(Message(title=title, body=body + ("" if everything else hint)))


async def listing(ctx: Context[CommandInvoked]) -> None:
    lines = []
    for job, invited, applied in await jobs_with_counts(ctx.session):
        closed = " (closed)" if job.closes_at and job.closes_at <= ctx.now else ""
        lines.append(
            f"#{job.id} **{job.title}**{closed}: {job.function}, {job.seniority}, "
            f"{job.location} · {invited} invited, {applied} applied"
        )
    ctx.reply(Message(title="Jobs", body="\n".join(lines) or "No jobs yet."))


async def _job(ctx: Context[Any], ref: str) -> Job | None:
    job = await ctx.session.get(Job, number) if (number := ident(ref)) else None
    if job is None:
        ctx.reply(f"There is no job {ref[:20]}. {ctx.cmd('jobs', 'list')} lists them.")
    return job


async def preview(ctx: Context[CommandInvoked]) -> None:
    """Who the invitation would reach, before anything is sent: HR confirms with a button."""
    ref, filters = ctx.args["job"], ctx.args.get("segment", "")
    job = await _job(ctx, ref)
    if job is None:
        return
    try:
        segment = parse_filter(filters, ctx.settings)
    except UsageError as exc:
        example = ctx.cmd("jobs", f"invite {job.id} function={job.function} location=Berlin")
        ctx.reply(f"Hmm, {exc}. Example: `{example}`")
        return
    if job.closes_at and job.closes_at <= ctx.now:
        ctx.reply(f"Job #{job.id} has closed; invitations would come too late.")
        return
    audience = {"channels": False, "dm": True, "consent": "jobs", "filter": stored_filter(segment)}
    outbox, rest = ctx.settings.outbox, ctx.settings.pipeline.not_for_me_days
    recipients = Recipients(
        members=member_filter(audience),
        consent=ConsentKind.JOBS,
        exclude=await exclusions(ctx.session, job, ctx.now, rest_days=rest),
    )
    reasons: Counter[str | None] = Counter()
    async for chunk in decide(
        ctx.session,
        recipients,
        now=ctx.now,
        cap=outbox.frequency_cap,
        cap_window=timedelta(days=outbox.cap_days),
    ):
        reasons.update(reason for _, _, reason in chunk)
    reach, matched = reasons[None], sum(reasons.values())
    campaign = Campaign(
        kind="invitation",
        subject_type="job",
        subject_id=job.id or 0,
        audience=audience,
        created_by_member_id=ctx.member_id,
        created_at=ctx.now,
    )
    ctx.session.add(campaign)
    await ctx.session.flush()
    held = sorted(r for r in reasons if r and r not in ("no consent", "frequency cap"))
    ctx.reply(
        Message(
            title=f"Invite to apply: {job.title}",
            body=f"{matched} members match"
            + (f" ({filters.strip()})" if filters.strip() else "")
            + f"; {matched - reasons['no consent']} accept job invitations; "
            f"{reasons['frequency cap']} are held back by the frequency cap."
            + "".join(f"\n• {reasons[r]} skipped: {r}" for r in held)
            + f"\n\n**{reach} would receive it.**",
            buttons=(
                ActionButton(f"Send to {reach}", "jobs.send", str(campaign.id), Style.PRIMARY),
                ActionButton("Discard", "jobs.discard", str(campaign.id)),
            )
            if reach
            else (),
        )
    )


async def send(ctx: Context[ActionPressed]) -> None:
    campaign = await _draft(ctx)
    if campaign is None:
        return
    campaign.status = CampaignStatus.SCHEDULED
    ctx.signal(Launch(campaign.id or 0))
    ctx.audit("jobs.invite", job=campaign.subject_id, campaign=campaign.id)
    ctx.reply(
        f"Invitations for job #{campaign.subject_id} are going out (campaign #{campaign.id}). "
        f"{ctx.cmd('stats', f'funnel job={campaign.subject_id}')} shows how they do."
    )


async def discard(ctx: Context[ActionPressed]) -> None:
    campaign = await _draft(ctx)
    if campaign is not None:
        campaign.status = CampaignStatus.CANCELLED
        ctx.reply("Discarded; nothing was sent.")


async def _draft(ctx: Context[ActionPressed]) -> Campaign | None:
    value = ctx.event.value
    campaign = await ctx.session.get(Campaign, number) if (number := ident(value)) else None
    if campaign is None or campaign.kind != "invitation" or campaign.status != CampaignStatus.DRAFT:
        ctx.reply("That invitation was sent or discarded already.")
        return None
    return campaign


async def mark(ctx: Context[CommandInvoked]) -> None:
    parts = [ctx.args["job"], ctx.args["member"], ctx.args["status"]]
    job = await _job(ctx, parts[0])
    if job is None:
        return
    member = await resolve(ctx.session, parts[1], ctx.platform)
    if member is None:
        ctx.reply(f"I can't find {parts[1][:40]}. {MEMBER_HINT}")
        return
    invitation = await invitation_of(ctx.session, job.id or 0, member.id or 0)
    if invitation is None:
        ctx.reply(f"#{member.id} was not invited to job #{job.id}, so there is nothing to mark.")
        return
    status = parts[2].lower()
    if not advance(invitation, status, ctx.now):
        ctx.reply(f"#{member.id} is {invitation.status} for job #{job.id} already.")
        return
    ctx.audit("jobs.status", member, job=job.id, status=status)
    ctx.reply(f"Marked #{member.id} as {status} for job #{job.id}: {job.title}.")


# -- members ----------------------------------------------------------------------------------


async def _invitation(ctx: Context[ActionPressed]) -> tuple[Invitation, Job] | None:
    found = await invitation_by_token(ctx.session, ctx.event.value, ctx.member_id)
    if found is None:
        ctx.reply("That invitation is no longer available.")
        return None
    invitation, job = found
    invitation.opened_at = invitation.opened_at or ctx.now
    return invitation, job


async def interested(ctx: Context[ActionPressed]) -> None:
    found = await _invitation(ctx)
    if found is None:
        return
    invitation, job = found
    invitation.interested_at = invitation.interested_at or ctx.now
    invitation.responded_at = ctx.now
    if invitation.status not in PROGRESS:
        invitation.status = InvitationStatus.INTERESTED
    note = Message(
        title="A member is interested",
        body=f"#{ctx.member_id} {ctx.member.display_name or ''} is interested in job "
        f"#{job.id}: {job.title}.",
    )
    for holder in await _hr_accounts(ctx):
        ctx.send(DirectTarget(holder.platform, holder.platform_user_id, holder.dm_chat_id), note)
    ctx.dm("Thank you! The recruiting team knows, and will be in touch with you.")


async def declined(ctx: Context[ActionPressed]) -> None:
    found = await _invitation(ctx)
    if found is None:
        return
    invitation, _ = found
    invitation.status = ctx.event.action.removeprefix("job.")
    invitation.responded_at = ctx.now
    ctx.ask(FEEDBACK_FORM)


async def feedback(ctx: Context[FormSubmitted]) -> None:
    invitation = await latest_declined(ctx.session, ctx.member_id)
    if invitation is None:
        ctx.reply("Thanks, but I couldn't find the invitation this was about.")
        return
    values = ctx.event.values
    ctx.session.add(
        Feedback(
            invitation_id=invitation.id or 0,
            member_id=ctx.member_id,
            reason=values["reason"],
            comment=values["comment"] or None,
            at=ctx.now,
        )
    )
    rest = ctx.settings.pipeline.not_for_me_days
    later = (
        f" We won't invite you to roles like this for {rest} days."
        if invitation.status == InvitationStatus.NOT_FOR_ME
        else ""
    )
    ctx.dm(f"Thank you, that helps.{later}")


async def _hr_accounts(ctx: Context[Any]) -> list[Identity]:
    """The HR people Roost can write to: `[roles]` entries that name a known account."""
    roles = ctx.settings.roles
    return await accounts_named(ctx.session, {*roles.hr, *roles.admin})


async def inviting(session: Any, run: Campaign, now: datetime, settings: Settings) -> Launching:
    """Members who said Not for me to this function lately are left out; each row sent is an
    invitation of its own, to follow through the funnel."""
    job = await session.get(Job, run.subject_id)
    if job is None:
        return Launching()
    rest = settings.pipeline.not_for_me_days

    async def rows(s: Any, run_id: int) -> None:
        await invite_rows(s, run_id, job.id or 0, now)

    return Launching(exclude=await exclusions(session, job, now, rest_days=rest), after=rows)


router = Router(
    "pipeline",
    kinds=(
        CampaignKind(
            "invitation", lambda s: InvitationComposer(s.web.public_url), launching=inviting
        ),
        CampaignKind(
            "job_alert",
            lambda s: InvitationComposer(s.web.public_url, "A new job for your alert"),
            launching=inviting,
        ),
    ),
    commands=(
        Command(
            "jobs",
            fitting_jobs,
            "Open jobs that fit your profile.",
            subcommands=(
                Command("all", every_job, "Every open job."),
                Command("add", add_job, "Register a job (a form).", role=Role.HR),
                Command(
                    "list", listing, "Jobs, with how many were invited and applied.", role=Role.HR
                ),
                Command(
                    "invite",
                    preview,
                    "Invite members to apply: who would receive it, then Send.",
                    args=(
                        Arg("job", "a job number"),
                        Arg("segment", "who: function=… location=…", False, rest=True),
                    ),
                    role=Role.HR,
                    example="3 function=engineering location=Berlin",
                ),
                Command(
                    "status",
                    mark,
                    "How far a candidate got (the ATS can report it too).",
                    args=(
                        Arg("job", "a job number"),
                        Arg("member", MEMBER_HINT),
                        Arg("status", choices=PROGRESS),
                    ),
                    role=Role.HR,
                    example="3 #12 interviewing",
                ),
                Command("import", import_now, "Import jobs from the job boards now.", role=Role.HR),
            ),
        ),
    ),
    actions=(
        Action("jobs.send", send, Role.HR),
        Action("jobs.discard", discard, Role.HR),
        Action("job.interested", interested),
        Action("job.not_now", declined),
        Action("job.not_for_me", declined),
    ),
    forms=(
        FormHandler("job.add", added, job_form, role=Role.HR),
        FormHandler(FEEDBACK, feedback, lambda _ctx: FEEDBACK_FORM),
    ),
)
