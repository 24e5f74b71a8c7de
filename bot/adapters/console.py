"""The console: a terminal chat for trying Roost locally, and a scriptable one for tests.

You act as one or several users (`:as NAME`), in your DM with the bot or in the community
channel (`:dm`, `:channel`); `/commands` are commands, a number presses that button of the
last message, anything else is a message to the bot. With stdin not a terminal it reads line
by line and ends at end of input.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from aiohttp import web

from bot.adapter import Capabilities, CommandMenu, Dispatch
from bot.events import ActionPressed, Chat, ChatKind, CommandInvoked, Origin, TextReceived, User
from bot.messages import (
    ActionButton,
    Button,
    ChannelTarget,
    DirectTarget,
    Form,
    LinkButton,
    Message,
    PollSpec,
    Sent,
    Target,
)

PLATFORM = "console"
CHANNEL = "community"
HELP = """Console commands:
  :as NAME     act as another user (e.g. :as hr)
  :dm          talk to the bot privately (default)
  :channel     talk in the community channel
  :quit        leave
  /command     run a command (try /help)
  1, 2, …      press a button of the last message
  anything else is a message to the bot"""


class ConsoleAdapter:
    platform = PLATFORM
    capabilities = Capabilities(max_text=4000, max_buttons=25)
    listens = False  # one person at one terminal: nothing to share among processes

    def __init__(
        self,
        *,
        user: str = "guest",
        out: TextIO | None = None,
        interactive: bool | None = None,
        lines_in: TextIO | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.lines_in = lines_in  # what is typed: standard input unless given
        self.interactive = self.out.isatty() if interactive is None else interactive
        self.user = user
        self.chat_kind = ChatKind.DM
        self._buttons: dict[str, tuple[Button, ...]] = {}
        self._ids = itertools.count(1)

    # -- input ------------------------------------------------------------------------------

    def routes(self) -> Sequence[web.RouteDef]:
        return ()

    def describe(self, message: Message) -> str:
        lines = render(message).count("\n") + 1
        return f"Plain text, {lines} lines; numbers press the buttons."

    async def invite_links(self, code: str) -> dict[str, str]:
        return {"command": f"/join {code}"}

    async def listen(self) -> None:
        raise NotImplementedError("the console reads its terminal in run")

    async def run(self, dispatch: Dispatch, menu: CommandMenu | None) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read() -> None:  # a daemon thread: stdin blocking never holds up shutdown
            # bytes, decoded line by line: a line that is not UTF-8 keeps its readable part
            # (an undecodable byte shows as �) instead of ending the session
            for line in self.lines_in or sys.stdin.buffer:
                text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
                loop.call_soon_threadsafe(lines.put_nowait, text)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        if self.interactive:
            self._print(HELP)
        while True:
            self._prompt()
            line = await lines.get()
            if line is None or line.strip() == ":quit":
                return
            await self.process(line, dispatch)

    async def process(self, line: str, dispatch: Dispatch) -> None:
        """One line typed by the current user."""
        text = line.strip()
        if not text:
            return
        if text.startswith(":"):
            self._console_command(text)
            return
        origin = self._origin()
        if text.startswith("/"):
            name, _, rest = text[1:].partition(" ")
            await dispatch(CommandInvoked(origin=origin, name=name, text=rest.strip()))
        elif text.isdigit() and self._buttons.get(origin.chat.id):
            await self._press(origin, int(text), dispatch)
        else:
            await dispatch(TextReceived(origin=origin, text=text))

    async def _press(self, origin: Origin, number: int, dispatch: Dispatch) -> None:
        """Numbers press buttons by position, unless a button is labelled with the number
        itself (a 0-10 scale): then that one."""
        buttons = self._buttons[origin.chat.id]
        labelled = [i for i, b in enumerate(buttons, 1) if b.label == str(number)]
        number = labelled[0] if labelled else number
        if not 1 <= number <= len(buttons):
            self._print(f"(there is no button {number}; the last message has {len(buttons)})")
            return
        button = buttons[number - 1]
        if isinstance(button, LinkButton):
            self._print(f"(opening {button.url})")
            return
        await dispatch(ActionPressed(origin=origin, action=button.action, value=button.value))

    def _console_command(self, text: str) -> None:
        word, _, arg = text[1:].partition(" ")
        if word in ("as", "user") and re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", arg.strip()):
            self.user = arg.strip()
        elif word == "dm":
            self.chat_kind = ChatKind.DM
        elif word == "channel":
            self.chat_kind = ChatKind.CHANNEL
        else:
            self._print(HELP)

    def _origin(self) -> Origin:
        user = User(PLATFORM, self.user, name=self.user.capitalize(), handle=self.user)
        chat_id = f"dm:{self.user}" if self.chat_kind is ChatKind.DM else CHANNEL
        return Origin(user, Chat(PLATFORM, chat_id, self.chat_kind))

    # -- output -----------------------------------------------------------------------------

    community = CHANNEL

    async def send(
        self, target: Target, message: Message, *, idempotency_key: str | None = None
    ) -> Sent:
        if isinstance(target, DirectTarget):
            return self._show(f"dm:{target.user_id}", message)
        assert isinstance(target, ChannelTarget)
        return self._show(target.chat_id, message)

    async def reply(self, origin: Origin, message: Message, *, ephemeral: bool) -> Sent | None:
        return self._show(origin.chat.id, message)

    async def edit(self, sent: Sent, message: Message) -> None:
        self._show(sent.chat_id, message, note=f"edited message {sent.message_id}")

    async def delete(self, sent: Sent) -> None:
        self._print(f"[{_where(sent.chat_id)}] (message {sent.message_id} deleted)")

    async def open_form(self, origin: Origin, form: Form) -> None:
        raise NotImplementedError("the console has no modal forms; the core asks in turn")

    async def send_poll(self, target: Target, poll: PollSpec) -> Sent:
        raise NotImplementedError("the console has no native polls; the core uses buttons")

    async def answer_join(self, origin: Origin, *, approve: bool) -> None:
        raise NotImplementedError("nobody asks to join on the console")

    async def publish_home(self, origin: Origin, message: Message) -> None:
        raise NotImplementedError("the console has no home view")

    def _show(self, chat_id: str, message: Message, note: str = "") -> Sent:
        sent = Sent(PLATFORM, chat_id, str(next(self._ids)))
        if any(isinstance(b, ActionButton) for b in message.buttons):
            self._buttons[chat_id] = message.buttons
        else:  # numbers press the last message's buttons; without any, a number is an answer
            self._buttons.pop(chat_id, None)
        self._print(render(message, header=f"[{_where(chat_id)}]" + (f" ({note})" if note else "")))
        return sent

    def _prompt(self) -> None:
        if self.interactive:
            self.out.write(f"{self.user}@{self.chat_kind.value}> ")
            self.out.flush()

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def _where(chat_id: str) -> str:
    return f"DM to {chat_id[3:]}" if chat_id.startswith("dm:") else f"#{chat_id}"


def render(message: Message, header: str = "") -> str:
    """Plain text: Markdown markers dropped, fields indented, buttons numbered."""
    lines = [header] if header else []
    if message.title:
        lines.append(f"== {plain(message.title)} ==")
    if message.body:
        lines.append(plain(message.body))
    lines += [f"  {f.name}: {plain(f.value)}" for f in message.fields]
    if message.image:
        lines.append(f"  [image: {message.image.alt or message.image.url or 'attached'}]")
    if message.buttons:
        lines.append("  " + "  ".join(_button(i, b) for i, b in enumerate(message.buttons, 1)))
    if message.attachment:
        file = message.attachment
        lines.append(f"  [file {file.filename}, {len(file.data)} bytes]")
        if file.mime.startswith(("text/", "application/json")):
            lines.append(file.data.decode())
    return "\n".join(lines)


def _button(number: int, button: Button) -> str:
    if isinstance(button, LinkButton):
        return f"[{number}] {button.label} <{button.url}>"
    return f"[{number}] {button.label}"


_CODE = re.compile(r"`([^`]+)`")
_MARKUP = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|\[([^\]]+)\]\(([^)]+)\)|(?<!\w)_([^_\n]+)_(?!\w)")


def plain(text: str) -> str:
    """The Markdown subset as plain text; a code span is kept as written, taken first."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match[1])
        return f"\x00{len(spans) - 1}\x00"

    def swap(match: re.Match[str]) -> str:
        if match[3]:
            return f"{match[3]} <{match[4]}>"
        return next(group for group in match.groups() if group)

    marked = _MARKUP.sub(swap, _CODE.sub(keep, text))
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m[1])], marked)
