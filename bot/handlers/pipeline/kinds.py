"""The pipeline's campaign kinds: an invitation to apply, and a job alert (the same answers
under another title), each row of which becomes an invitation to follow through the funnel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.kinds import CampaignKind, Launching, Render, Subject
from bot.messages import LinkButton, Message, MessageField, Style
from bot.payloads import Payload
from bot.settings import Settings
from storage.db import Session
from storage.models import Campaign, Delivery, Job
from storage.pipeline import click, exclusions, invite_rows


@dataclass(frozen=True, slots=True)
class Answered(Payload):
    """A member's answer to an invitation: its delivery's token."""

    token: str


@dataclass(frozen=True, slots=True)
class Interested(Answered, action="job.interested"):
    pass


@dataclass(frozen=True, slots=True)
class NotNow(Answered, action="job.not_now"):
    pass


@dataclass(frozen=True, slots=True)
class NotForMe(Answered, action="job.not_for_me"):
    pass


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
            Interested(token).button("I'm interested", Style.PRIMARY),
            NotNow(token).button("Not now"),
            NotForMe(token).button("Not for me"),
        ),
    )


class InvitationComposer:
    """The outbox's view of an invitation campaign's row (or a job alert's: the same answers
    under another title)."""

    def __init__(self, public_url: str, title: str = "Invitation to apply") -> None:
        self.public_url, self.title = public_url, title

    async def __call__(self, _session: Session, _campaign: Campaign, job: Job) -> Render:
        return lambda row: invitation_message(job, row.token or "", self.public_url, self.title)


async def inviting(session: Session, run: Campaign, now: datetime, settings: Settings) -> Launching:
    """Members who said Not for me to this function lately are left out; each row sent is an
    invitation of its own, to follow through the funnel."""
    job = await session.get(Job, run.subject_id)
    if job is None:
        return Launching()
    rest = settings.pipeline.not_for_me_days

    async def rows(s: Session, run_id: int) -> None:
        await invite_rows(s, run_id, job.id or 0, now)

    return Launching(exclude=await exclusions(session, job, now, rest_days=rest), after=rows)


async def followed(session: Session, row: Delivery, _run: Campaign, now: datetime) -> str | None:
    """Apply was followed: the invitation is opened, clicked and answered, and the candidate
    goes on to the job's application page (told which invitation it was)."""
    return await click(session, row.token or "", now)


JOB = Subject("job", Job)
INVITATION = CampaignKind(
    "invitation",
    JOB,
    lambda s: InvitationComposer(s.web.public_url),
    label="invitation to apply",
    launching=inviting,
    followed=followed,
)
JOB_ALERT = CampaignKind(
    "job_alert",
    JOB,
    lambda s: InvitationComposer(s.web.public_url, "A new job for your alert"),
    label="job alert",
    launching=inviting,
    followed=followed,
)
