"""The talent pipeline: jobs (registered by HR, imported from job boards, found by members),
job alerts, invitations to apply and their answers, and a Not now that comes back."""

from __future__ import annotations

from bot.handlers.pipeline import alerts, funnel, invitations, jobs, web
from bot.handlers.pipeline.kinds import INVITATION, JOB_ALERT, Interested, NotForMe, NotNow
from bot.handlers.pipeline.report import FUNNEL, JOBS, SOURCES_REPORT
from bot.kinds import Duty
from bot.naming import MEMBER_HINT
from bot.router import Action, Arg, Command, FormHandler, Role, Router
from storage.pipeline import PROGRESS

router = Router(
    "pipeline",
    kinds=(INVITATION, JOB_ALERT),
    commands=(
        Command(
            "jobs",
            jobs.fitting_jobs,
            "Open jobs that fit your profile.",
            subcommands=(
                Command("all", jobs.every_job, "Every open job."),
                Command("add", jobs.add_job, "Register a job (a form).", role=Role.HR),
                Command(
                    "list",
                    jobs.listing,
                    "Jobs, with how many were invited and applied.",
                    role=Role.HR,
                ),
                Command(
                    "invite",
                    invitations.preview,
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
                    invitations.mark,
                    "How far a candidate got (the ATS can report it too).",
                    args=(
                        Arg("job", "a job number"),
                        Arg("member", MEMBER_HINT),
                        Arg("status", choices=PROGRESS),
                    ),
                    role=Role.HR,
                    example="3 #12 interviewing",
                ),
                Command(
                    "import", jobs.import_now, "Import jobs from the job boards now.", role=Role.HR
                ),
            ),
        ),
        Command(
            "alerts",
            alerts.alerts,
            "Hear of new jobs that fit: /alerts function=data location=Berlin; /alerts off.",
            args=(Arg("criteria", "function= seniority= location=, or off", False, rest=True),),
        ),
    ),
    actions=(
        Action.taking(invitations.SendInvitations, invitations.send, Role.HR),
        Action.taking(invitations.DiscardInvitations, invitations.discard, Role.HR),
        Action.taking(Interested, invitations.interested),
        Action.taking(NotNow, invitations.declined),
        Action.taking(NotForMe, invitations.declined),
    ),
    forms=(
        FormHandler("job.add", jobs.added, jobs.job_form, role=Role.HR),
        FormHandler(
            invitations.FEEDBACK, invitations.feedback, lambda _ctx: invitations.FEEDBACK_FORM
        ),
    ),
    duties=(
        Duty("not_now", alerts.come_back, hour=8),
        Duty("job_boards", alerts.import_boards, hour=6),
    ),
    tools=(funnel.TOOL,),
    web=web.ROUTES,
    reports=(FUNNEL, SOURCES_REPORT, JOBS),
)
