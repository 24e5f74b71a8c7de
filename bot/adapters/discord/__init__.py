"""Discord: discord.py behind Roost's adapter contract."""

from bot.adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
