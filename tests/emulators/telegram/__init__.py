"""A local Telegram Bot API: the server, its spec validator and a driver acting as users."""

from tests.emulators.telegram.driver import TelegramUser, add_user, wait_for
from tests.emulators.telegram.server import COMMUNITY_ID, Limits, TelegramEmulator

__all__ = ["COMMUNITY_ID", "Limits", "TelegramEmulator", "TelegramUser", "add_user", "wait_for"]
