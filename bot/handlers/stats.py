"""`/stats NAME`: every report a feature declares, rendered for chat (the dashboard shows the
same sheets on its tabs, and offers each as CSV)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.context import Context
from bot.events import CommandInvoked
from bot.reports import OPTIONS, Report, as_message, read_options
from bot.router import Arg, Command, Role, Router, UsageError


def show(report: Report) -> Command:
    async def shown(ctx: Context[CommandInvoked]) -> None:
        try:
            options = read_options(ctx.args.get("options", ""), report.options)
            sheet = await report.build(ctx.query(options))
        except UsageError as exc:
            example = ctx.cmd("stats", f"{report.name} {report.example}".strip())
            ctx.refuse(f"Hmm, {exc}. Example: `{example}`")
            return
        ctx.reply(await as_message(sheet))

    said = " ".join(f"{key}= ({OPTIONS[key]})" for key in report.options)
    args = (Arg("options", said, required=False, rest=True),) if report.options else ()
    return Command(report.name, shown, report.help, args=args, role=report.role,
                   example=report.example)  # fmt: skip


def stats_router(reports: Iterable[Report]) -> Router:
    return Router(
        "stats",
        commands=(
            Command(
                "stats",
                None,
                "Numbers for HR, each with a chart where a picture says more (the dashboard "
                "has them too, and as CSV).",
                role=Role.HR,
                subcommands=tuple(show(report) for report in reports),
            ),
        ),
    )
