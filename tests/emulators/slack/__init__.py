"""A local Slack: Web API, Events, interactivity and Socket Mode, with a driver acting as users."""

from tests.emulators.slack.driver import SlackUser, add_user
from tests.emulators.slack.server import COMMUNITY, SlackEmulator, SlackLimits

__all__ = ["COMMUNITY", "SlackEmulator", "SlackLimits", "SlackUser", "add_user"]
