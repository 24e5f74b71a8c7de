"""Core messages as Telegram shows them: HTML parse mode and inline keyboards."""

from __future__ import annotations

import functools
import html
import re
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import ActionButton, Button, LinkButton, Message

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_LIMIT = 64  # bytes of callback_data

_CODE = re.compile(r"`([^`]+)`")
_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w])_(\S(?:.*?\S)?)_(?![\w])"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2">\1</a>'),
]


@functools.lru_cache(maxsize=256)  # a campaign sends one body to thousands
def to_html(markdown: str) -> str:
    """The core's Markdown subset as Telegram HTML; everything else is escaped. A code span
    is taken first and kept as written (`**bold**` in a hint shows the stars, and never
    breaks the bold around it)."""
    text = html.escape(markdown, quote=False)
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(f"<code>{match[1]}</code>")
        return f"\x00{len(spans) - 1}\x00"

    text = _CODE.sub(keep, text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m[1])], text)


def message_html(message: Message) -> str:
    parts = []
    if message.title:
        parts.append(f"<b>{html.escape(message.title, quote=False)}</b>")
    if message.body:
        parts.append(to_html(message.body))
    if message.fields:
        parts.append(
            "\n".join(
                f"<b>{html.escape(f.name, quote=False)}:</b> {to_html(f.value)}"
                for f in message.fields
            )
        )
    unlinked = [b for b in message.buttons if isinstance(b, LinkButton) and not buttonable(b.url)]
    if unlinked:  # Telegram takes no button to a bare host name: the address goes in the text
        parts.append(
            "\n".join(
                f"{html.escape(b.label, quote=False)}: {html.escape(b.url)}" for b in unlinked
            )
        )
    return "\n\n".join(parts) or "\u200b"


def buttonable(url: str) -> bool:
    """Whether Telegram takes `url` on a button: it refuses a host without a dot in it
    (`localhost`, an intranet name) as BUTTON_URL_INVALID."""
    parts = urlsplit(url)
    return parts.scheme == "tg" or "." in (parts.hostname or "")


def callback_data(button: ActionButton) -> str:
    data = f"{button.action}|{button.value}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {button.action}")
    return data


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """Short labels three to a row, long ones on their own, as Telegram clients show best."""
    if not buttons:
        return None
    buttons = tuple(b for b in buttons if isinstance(b, ActionButton) or buttonable(b.url))
    if not buttons:
        return None
    per_row = 1 if any(len(b.label) > 20 for b in buttons) else 3
    made = [
        InlineKeyboardButton(b.label, callback_data=callback_data(b))
        if isinstance(b, ActionButton)
        else InlineKeyboardButton(b.label, url=b.url)
        for b in buttons
    ]
    return InlineKeyboardMarkup([made[i : i + per_row] for i in range(0, len(made), per_row)])


def pages(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split at paragraph, then line, boundaries so no message exceeds Telegram's limit."""
    if len(text) <= limit:
        return [text]
    cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
    cut = cut if cut > 0 else limit
    return [text[:cut], *pages(text[cut:].lstrip("\n"), limit)]


def describe(message: Message) -> str:
    """How `message` shows on Telegram, for HR's preview: what is sent and what moves."""
    html = message_html(message)
    markup = keyboard(message.buttons)
    rows = len(markup.inline_keyboard) if markup else 0
    parts = [f"HTML text of {len(html):,} characters (a message holds {TEXT_LIMIT:,})"]
    if len(pages(html)) > 1:
        parts.append(f"sent as {len(pages(html))} messages")
    if message.image is not None:
        where = "as its caption" if len(html) <= CAPTION_LIMIT else "after it (over 1,024)"
        parts.append(f"the image as a photo with the text {where}")
    if message.buttons:
        parts.append(f"{len(message.buttons)} buttons in {rows} row{'s' * (rows != 1)}")
    return "; ".join(parts) + "."
