"""Jobs: HR registers them (or imports them from the job boards) and lists them with their
numbers; members see the open jobs that fit them."""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.events import CommandInvoked, FormSubmitted
from bot.handlers.pipeline.alerts import alert, sync_boards
from bot.handlers.pipeline.report import jobs_sheet
from bot.kinds import Launch
from bot.messages import FieldKind, Form, FormField, Message
from bot.parsing import ParseError, day, end_of, ident
from bot.reports import as_message
from storage.models import Job
from storage.openings import open_jobs


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


async def added(ctx: Context[FormSubmitted]) -> None:
    values = ctx.event.values
    url, closes = values["apply_url"], values["closes"]
    closes_at = None
    if closes:
        tz = ctx.settings.community.timezone
        try:
            closes_at = end_of(day(closes, "the closing date"), tz)
        except ParseError as exc:
            ctx.refuse(f"Hmm, {exc}. Nothing was saved.")
            return
        if closes_at <= ctx.now:
            ctx.refuse("That closing date has passed. Nothing was saved.")
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
    alerting = await alert(ctx.session, job, ctx.now)
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
    ctx.reply(await as_message(await jobs_sheet(ctx.query())))


async def job_named(ctx: Context[Any], ref: str) -> Job | None:
    """The job HR named by its number; else None, refused with how to find one."""
    job = await ctx.session.get(Job, number) if (number := ident(ref)) else None
    if job is None:
        ctx.refuse(f"There is no job {ref[:20]}. {ctx.cmd('jobs', 'list')} lists them.")
    return job
