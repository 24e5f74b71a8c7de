"""Telegram: python-telegram-bot behind Roost's adapter contract."""

from bot.adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]
