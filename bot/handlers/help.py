"""/help: what the asking member may do, and how."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.context import Context
from bot.events import CommandInvoked
from bot.router import Arg, Command, Role, Router

if TYPE_CHECKING:
    from bot.router import Routes


def help_router(routes: Routes) -> Router:
    """Built after the rest is indexed, since help lists everything else."""

    async def show(ctx: Context[CommandInvoked]) -> None:
        name = ctx.args.get("command", "").lstrip("/").lower()
        if name:
            command = routes.commands.get(name)
            if command is None or command.role > ctx.role:
                ctx.reply(f"There's no {ctx.cmd(name[:30])} for you. Type {ctx.cmd('help')}.")
            else:
                ctx.reply(f"`{command.usage(ctx.capabilities.command_prefix)}`\n{command.help}")
            return
        visible = [c for c in routes.visible(ctx.role) if c.name != "help"]
        lines = [f"`{ctx.cmd(c.name)}` {c.help}" for c in visible if c.role < Role.HR]
        hr = [f"`{ctx.cmd(c.name)}` {c.help}" for c in visible if c.role >= Role.HR]
        body = "\n".join(lines)
        if hr:
            body += "\n\n**For HR**\n" + "\n".join(hr)
        ctx.reply(f"{body}\n\nType STOP at any time to stop messages from us.")

    return Router(
        "help",
        commands=(
            Command(
                "help",
                show,
                "List commands, or explain one.",
                args=(Arg("command", required=False),),
            ),
        ),
    )
