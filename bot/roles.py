"""Who holds which role, from configuration alone: `platform:user_id` entries and platform
roles (a Discord role, a Slack user group, Telegram group admins) as adapters report them.
The core checks it on every command, button and form; a platform hiding a command is never
the check."""

from __future__ import annotations

from bot.adapter import CommandMenu, MenuEntry
from bot.events import User
from bot.router import Role, Routes
from bot.settings import RoleSettings


def role_of(roles: RoleSettings, user: User) -> Role:
    """The highest role any of the user's tags earns: `platform:user_id` or `platform:role`."""
    tags = {f"{user.platform}:{user.id}"} | {f"{user.platform}:{r}" for r in user.platform_roles}
    for role, holders in ((Role.ADMIN, roles.admin), (Role.HR, roles.hr)):
        if tags & set(holders):
            return role
    return Role.EMPLOYEE if tags & set(roles.employee) else Role.MEMBER


def menu(routes: Routes, roles: RoleSettings) -> CommandMenu:
    """What each platform's command menu shows, and to whom."""
    visible = routes.visible(Role.ADMIN)
    return CommandMenu(
        member=tuple(MenuEntry(c.name, c.help, c.menu_args()) for c in visible if c.role < Role.HR),
        hr=tuple(MenuEntry(c.name, c.help, c.menu_args()) for c in visible if c.role >= Role.HR),
        hr_holders=(*roles.admin, *roles.hr),
        role_holders=(*roles.admin, *roles.hr, *roles.employee),
    )
