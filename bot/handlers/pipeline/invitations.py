"""Invitations to apply: HR previews who an invitation would reach and sends it through the
outbox; members answer Apply, Interested, Not now or Not for me (with a reason); HR, or the
applicant tracking system, reports how far each candidate got."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.context import Context
from bot.events import ActionPressed, CommandInvoked, FormSubmitted
from bot.handlers.pipeline.jobs import job_named
from bot.handlers.pipeline.kinds import INVITATION, Answered
from bot.kinds import Launch
from bot.messages import (
    DirectTarget,
    FieldKind,
    Form,
    FormField,
    Message,
    Style,
)
from bot.naming import named_member
from bot.payloads import Payload
from bot.router import UsageError
from bot.segments import parse_filter
from storage.campaigns import Audience
from storage.members import ConsentKind, accounts_named
from storage.models import Campaign, Feedback, Identity, Invitation, Job
from storage.models.states import CampaignStatus, InvitationStatus
from storage.outbox import Recipients, decide
from storage.pipeline import (
    PROGRESS,
    REASONS,
    advance,
    exclusions,
    invitation_by_token,
    invitation_of,
    latest_declined,
)

FEEDBACK = "job.feedback"


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


# -- HR ---------------------------------------------------------------------------------------


async def preview(ctx: Context[CommandInvoked]) -> None:
    """Who the invitation would reach, before anything is sent: HR confirms with a button."""
    filters = ctx.args.get("segment", "")
    job = await job_named(ctx, ctx.args["job"])
    if job is None:
        return
    segment = parse_filter(filters, ctx.settings)
    if job.closes_at and job.closes_at <= ctx.now:
        raise UsageError(f"job #{job.id} has closed; invitations would come too late")
    audience = Audience(dm=True, segment=segment, consent=ConsentKind.JOBS)
    outbox, rest = ctx.settings.outbox, ctx.settings.pipeline.not_for_me_days
    recipients = Recipients(
        members=audience.members(),
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
    campaign = INVITATION.campaign(
        job.id or 0, audience, ctx.now, created_by_member_id=ctx.member_id
    )
    ctx.session.add(campaign)
    await ctx.session.flush()
    held = sorted(r for r in reasons if r and r not in ("no consent", "frequency cap"))
    ctx.reply(
        Message(
            title=f"Invite to apply: {job.title}",
            body=f"{matched} member{'s' * (matched != 1)} match{'es' * (matched == 1)}"
            + (f" ({filters.strip()})" if filters.strip() else "")
            + f"; {matched - reasons['no consent']} accept job invitations; "
            f"{reasons['frequency cap']} are held back by the frequency cap."
            + "".join(f"\n• {reasons[r]} skipped: {r}" for r in held)
            + f"\n\n**{reach} would receive it.**",
            buttons=(
                SendInvitations(campaign.id or 0).button(f"Send to {reach}", Style.PRIMARY),
                DiscardInvitations(campaign.id or 0).button("Discard"),
            )
            if reach
            else (),
        )
    )


@dataclass(frozen=True, slots=True)
class SendInvitations(Payload, action="jobs.send"):
    campaign: int  # the draft


@dataclass(frozen=True, slots=True)
class DiscardInvitations(Payload, action="jobs.discard"):
    campaign: int


async def send(ctx: Context[ActionPressed]) -> None:
    campaign = await _draft(ctx, SendInvitations.of(ctx).campaign)
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
    campaign = await _draft(ctx, DiscardInvitations.of(ctx).campaign)
    if campaign is not None:
        campaign.status = CampaignStatus.CANCELLED
        ctx.reply("Discarded; nothing was sent.")


async def _draft(ctx: Context[ActionPressed], number: int) -> Campaign | None:
    campaign = await ctx.session.get(Campaign, number)
    if (
        campaign is None
        or campaign.kind != INVITATION.name
        or campaign.status != CampaignStatus.DRAFT
    ):
        ctx.reply("That invitation was sent or discarded already.")
        return None
    return campaign


async def mark(ctx: Context[CommandInvoked]) -> None:
    job = await job_named(ctx, ctx.args["job"])
    if job is None:
        return
    member = await named_member(ctx, ctx.args["member"])
    if member is None:
        return
    invitation = await invitation_of(ctx.session, job.id or 0, member.id or 0)
    if invitation is None:
        ctx.reply(f"#{member.id} was not invited to job #{job.id}, so there is nothing to mark.")
        return
    status = ctx.args["status"]
    if not advance(invitation, status, ctx.now):
        ctx.reply(f"#{member.id} is {invitation.status} for job #{job.id} already.")
        return
    ctx.audit("jobs.status", member, job=job.id, status=status)
    ctx.reply(f"Marked #{member.id} as {status} for job #{job.id}: {job.title}.")


# -- members ----------------------------------------------------------------------------------


async def _invitation(ctx: Context[ActionPressed]) -> tuple[Invitation, Job] | None:
    found = await invitation_by_token(ctx.session, Answered.of(ctx).token, ctx.member_id)
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
