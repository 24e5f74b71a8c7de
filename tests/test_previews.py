"""How a message shows on each platform, as HR's preview describes it: what is sent and what
the platform cuts or moves."""

from __future__ import annotations

from bot.adapters.discord import render as discord_render
from bot.adapters.slack import render as slack_render
from bot.adapters.telegram import render as telegram_render
from bot.messages import ActionButton, Image, Message

LONG = Message(
    title="T" * 300,
    body="x" * 5000,
    image=Image(url="https://example.com/office.jpg"),
    buttons=tuple(ActionButton(f"Option {i}", "poll.vote", str(i)) for i in range(7)),
)


def test_telegram_says_where_the_text_goes() -> None:
    said = telegram_render.describe(LONG)
    assert "sent as 3 messages" in said  # split at line breaks, where it can
    assert "the image as a photo with the text after it (over 1,024)" in said
    assert "7 buttons in 3 rows" in said
    short = telegram_render.describe(Message(title="Hi", image=Image(url="https://e.x/a.png")))
    assert "with the text as its caption" in short


def test_slack_names_its_blocks_and_cuts() -> None:
    said = slack_render.describe(LONG)
    assert said.startswith("Block Kit: 5 blocks (header, section, image, actions; ")
    assert "the title is cut to 150 characters" in said and "7 buttons" in said


def test_discord_names_its_cuts() -> None:
    said = discord_render.describe(LONG)
    assert said.startswith("An embed; the title is cut to 256 characters; the text is cut")
    assert "7 buttons in 2 rows of 5" in said
