"""Content: HR composes, schedules and measures news, company news and employee stories;
employees share their stories; members read them page by page, in chat or on the web.

A pushed item shows its title (one of up to three variants) and a teaser; Read opens it
(the open) and the last page, or the Done button, finishes it (the finish).
"""

from __future__ import annotations

from bot.handlers.content.compose import (
    COMPOSE,
    SHARE,
    compose,
    composed,
    edit,
    listing,
    preview,
    review,
    schedule,
    share,
    shared,
)
from bot.handlers.content.kind import CONTENT
from bot.handlers.content.reading import ROUTES, Done, Read, Turn, done, read, turn
from bot.handlers.content.report import REPORT
from bot.router import Action, Arg, Command, FormHandler, Role, Router

__all__ = ["COMPOSE", "CONTENT", "router"]

router = Router(
    "content",
    kinds=(CONTENT,),
    web=ROUTES,
    reports=(REPORT,),
    commands=(
        Command("compose", compose, "Write news, company news or an employee story.", role=Role.HR),
        Command("content", listing, "List content.", role=Role.HR),
        Command(
            "preview",
            preview,
            "Show content as members will see it.",
            role=Role.HR,
            args=(Arg("content", "a content number"),),
        ),
        Command(
            "edit",
            edit,
            "Change content before it goes out.",
            role=Role.HR,
            args=(
                Arg("content"),
                Arg("field", choices=("title", "title_b", "title_c", "body", "link")),
                Arg("value", rest=True),
            ),
        ),
        Command(
            "schedule",
            schedule,
            "Send content: now, 2026-12-07 09:00, or every mon 09:00; to=channels,dm and a segment "
            "(function=…), sample=20% wait=2h to test titles first.",
            role=Role.HR,
            args=(Arg("content"), Arg("when", required=False, rest=True)),
        ),
        Command(
            "approve", review, "Approve an employee's story.", role=Role.HR, args=(Arg("content"),)
        ),
        Command(
            "decline", review, "Decline an employee's story.", role=Role.HR, args=(Arg("content"),)
        ),
        Command(
            "share", share, "Share your story of working here (employees).", role=Role.EMPLOYEE
        ),
    ),
    actions=(
        Action.taking(Read, read),
        Action.taking(Turn, turn),
        Action.taking(Done, done),
    ),
    forms=(
        FormHandler(COMPOSE.id, composed, lambda _ctx: COMPOSE, role=Role.HR),
        FormHandler(SHARE.id, shared, lambda _ctx: SHARE, role=Role.EMPLOYEE),
    ),
)
