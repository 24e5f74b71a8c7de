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

    def entries(ctx: Context[CommandInvoked], command: Command) -> list[tuple[Role, str]]:
        """The command and each of its sub-commands this person may use, as help lines."""
        found = []
        if command.handler is not None and command.role <= ctx.role:
            found.append((command.role, f"`{ctx.cmd(command.name)}` {command.help}"))
        for sub in command.subcommands:
            if sub.role <= ctx.role:
                typed = ctx.cmd(f"{command.name} {sub.name}")
                found.append((sub.role, f"`{typed}` {sub.help}"))
        return found

    async def show(ctx: Context[CommandInvoked]) -> None:
        name = ctx.args.get("command", "").lstrip("/").lower()
        if name:
            command = routes.commands.get(name)
            if command is None or command not in routes.visible(ctx.role):
                ctx.reply(f"There's no {ctx.cmd(name[:30])} for you. Type {ctx.cmd('help')}.")
                return
            prefix = ctx.capabilities.command_prefix
            lines = []
            if command.handler is not None and command.role <= ctx.role:
                lines.append(f"`{command.usage(prefix)}`\n{command.help}")
            for sub in command.subcommands:
                if sub.role <= ctx.role:
                    example = (
                        f" For example: `{ctx.cmd(f'{command.name} {sub.name} {sub.example}')}`"
                        if sub.example
                        else ""
                    )
                    lines.append(f"`{sub.usage(prefix, command.name)}`\n{sub.help}{example}")
            ctx.reply("\n\n".join(lines))
            return
        everyone: list[str] = []
        hr: list[str] = []
        for command in routes.visible(ctx.role):
            if command.name == "help":
                continue
            for role, line in entries(ctx, command):
                (hr if role >= Role.HR else everyone).append(line)
        body = "\n".join(everyone)
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
