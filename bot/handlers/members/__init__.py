"""Members, for HR: find, count, label and export them in chat, and the same on the
dashboard's Members tab with a page per member."""

from __future__ import annotations

from bot.handlers.members.chat import label, members, unlabel
from bot.handlers.members.pages import PAGES
from bot.router import Arg, Command, Role, Router

router = Router(
    "members",
    pages=PAGES,
    commands=(
        Command(
            "label",
            label,
            "Add a label to a member.",
            role=Role.HR,
            args=(Arg("member"), Arg("label", rest=True)),
        ),
        Command(
            "unlabel",
            unlabel,
            "Remove a label from a member.",
            role=Role.HR,
            args=(Arg("member"), Arg("label", rest=True)),
        ),
        Command(
            "members",
            members,
            "Find and count members: function= seniority= location= label= source= "
            "platform= active=30d inactive=90d contacted=30d uncontacted=30d "
            "consent=news|jobs onboarded=yes|no engagement=LEVEL attended=EVENT entered=COMP "
            "voted=POLL; page=2 for more, csv for a file",
            role=Role.HR,
            args=(Arg("filters", required=False, rest=True),),
        ),
    ),
)
