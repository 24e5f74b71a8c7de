"""A local Discord: REST and gateway, validated against the official OpenAPI, with a driver."""

from tests.emulators.discord.driver import DiscordMember, add_member
from tests.emulators.discord.server import DiscordEmulator, DiscordLimits

__all__ = ["DiscordEmulator", "DiscordLimits", "DiscordMember", "add_member"]
