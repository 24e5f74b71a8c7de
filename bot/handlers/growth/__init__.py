"""Invite codes and referrals: HR makes source-tagged codes with every platform's way in, a
landing link and a QR code; employees get a personal referral code and see what it brought."""

from __future__ import annotations

from bot.handlers.growth.codes import create, export, listing, show
from bot.handlers.growth.referrals import referral, referrals
from bot.handlers.growth.report import CODES, REFERRALS
from bot.handlers.growth.tool import TOOL
from bot.handlers.growth.web import PAGES, ROUTES
from bot.router import Arg, Command, Role, Router
from storage.growth import SOURCES

router = Router(
    "growth",
    tools=(TOOL,),
    web=ROUTES,
    pages=PAGES,
    reports=(CODES, REFERRALS),
    commands=(
        Command(
            "invites",
            None,
            "Invite codes tagged with their source: every platform's way in, a landing link "
            "and a QR code.",
            role=Role.HR,
            subcommands=(
                Command(
                    "create",
                    create,
                    f"A code for a source ({', '.join(SOURCES)}); campaign=, expires=, uses=, "
                    "code= are optional.",
                    args=(Arg("options", "SOURCE [campaign= expires= uses= code=]", rest=True),),
                    role=Role.HR,
                    example="job-fair campaign=berlin-2026 expires=2026-12-31",
                ),
                Command("list", listing, "Joins and visits per code.", role=Role.HR),
                Command(
                    "show",
                    show,
                    "A code's links and QR code.",
                    args=(Arg("code"),),
                    role=Role.HR,
                    example="FAIR26",
                ),
                Command("export", export, "Every code, as CSV.", role=Role.HR),
            ),
        ),
        Command(
            "referral",
            referral,
            "Your personal referral code and links (employees).",
            role=Role.EMPLOYEE,
        ),
        Command(
            "referrals",
            referrals,
            "Who joined through your referral code, and this month's leaderboard.",
            role=Role.EMPLOYEE,
        ),
    ),
)
