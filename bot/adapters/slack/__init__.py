"""Slack: slack-bolt behind Roost's adapter contract."""

from bot.adapters.slack.adapter import SlackAdapter

__all__ = ["SlackAdapter"]
