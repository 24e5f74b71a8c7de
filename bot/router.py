"""Routing: commands, actions, forms and events declared as data, grouped in nested routers.

Each feature module exposes a `Router` constant listing what it answers. Nothing registers
itself at import time; `Routes` indexes the tree once when the app is built and refuses
duplicates, so two features can never silently claim the same command.
"""

from __future__ import annotations

import argparse
import io
import shlex
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from bot.events import Event
from bot.kinds import CampaignKind, Duty
from bot.messages import Form

if TYPE_CHECKING:
    from bot.context import Context
    from bot.pages import Page, WebRoute
    from bot.payloads import Payload
    from bot.reports import Report
    from bot.settings import Settings
    from storage.db import Database

Handler = Callable[["Context[Any]"], Awaitable[None]]


class Role(IntEnum):
    MEMBER = 0
    EMPLOYEE = 1
    HR = 2
    ADMIN = 3


class UsageError(Exception):
    """The arguments do not fit the command; the message says what was wrong."""


@dataclass(frozen=True, slots=True)
class Arg:
    name: str
    help: str = ""
    required: bool = True
    rest: bool = False  # takes the remainder of the line, spaces and all
    choices: tuple[str, ...] = ()

    def usage(self) -> str:
        shown = "|".join(self.choices) if self.choices else self.name
        shown += "…" if self.rest else ""
        return f"<{shown}>" if self.required else f"[{shown}]"


ACTION, DETAILS = "action", "details"  # a command with sub-commands, as a flat menu shows it


@dataclass(frozen=True, slots=True)
class Command:
    """A command, or a sub-command: the first word after a command that has `subcommands`
    picks one (`/jobs invite 3`), each with its own arguments, role, help and example. The
    command's own `handler` (if any) answers it typed without a sub-command."""

    name: str
    handler: Handler | None
    help: str
    args: tuple[Arg, ...] = ()
    role: Role = Role.MEMBER
    aliases: tuple[str, ...] = ()
    subcommands: tuple[Command, ...] = ()
    example: str = ""  # the arguments of a typical use: `3 function=data`

    def sub(self, word: str) -> Command | None:
        """The sub-command a first word names, if any."""
        word = word.lower()
        return next((s for s in self.subcommands if word == s.name or word in s.aliases), None)

    def pick(
        self, text: str, options: Mapping[str, str] | None = None, role: Role = Role.ADMIN
    ) -> tuple[Command, str]:
        """The (sub-)command this invocation means and the text left for its arguments; a
        platform's named options for a flat menu (`action`, `details`) count as typed."""
        if not self.subcommands:
            return self, text
        if options is not None:
            text = " ".join(v for v in (options.get(ACTION), options.get(DETAILS)) if v)
        first, _, rest = text.strip().partition(" ")
        found = self.sub(first) if first else None
        if found is not None:
            return found, rest.strip()
        if self.handler is not None and not (first and not self.args):
            return self, text  # its own arguments, or nothing
        choices = ", ".join(self.names(role))
        if not first:
            raise UsageError(f"say what to do: {choices}")
        raise UsageError(f"{first[:30]} is not one of {choices}")

    def names(self, role: Role = Role.ADMIN) -> list[str]:
        return [s.name for s in self.subcommands if s.role <= role]

    def usage(self, prefix: str = "/", parent: str = "", role: Role = Role.ADMIN) -> str:
        """How it is typed: its arguments, or (a command only made of sub-commands) the
        sub-commands `role` may use."""
        head = f"{prefix}{parent + ' ' if parent else ''}{self.name}"
        if self.subcommands and self.handler is None:
            return f"{head} <{'|'.join(self.names(role))}> …"
        return " ".join([head, *(arg.usage() for arg in self.args)])

    def menu_args(self) -> tuple[Arg, ...]:
        """Its arguments as a flat command menu shows them (a sub-command is a choice)."""
        if not self.subcommands:
            return self.args
        return (
            Arg(ACTION, "what to do", self.handler is None, choices=tuple(self.names())),
            Arg(DETAILS, "the rest: numbers, options", required=False, rest=True),
        )

    def parse(self, text: str, options: Mapping[str, str] | None = None) -> dict[str, str]:
        """Bind the raw argument text (or a platform's named options) to the declared args."""
        if options is not None:
            values = {k: v for k, v in options.items() if v != ""}
            unknown = set(values) - {arg.name for arg in self.args}
            if unknown:
                raise UsageError(f"unexpected {', '.join(sorted(unknown))}")
        else:
            values = self._split(text)
        for arg in self.args:
            value = values.get(arg.name)
            if value is None:
                if arg.required:
                    raise UsageError(f"{arg.name} is missing")
                continue
            if arg.choices and value.lower() not in arg.choices:
                raise UsageError(f"{arg.name} must be one of {', '.join(arg.choices)}")
            if arg.choices:
                values[arg.name] = value.lower()
        return values

    def _split(self, text: str) -> dict[str, str]:
        stream = io.StringIO(text.strip())
        lexer = shlex.shlex(stream, posix=True)
        lexer.whitespace_split = True
        lexer.commenters = ""
        values: dict[str, str] = {}
        try:
            for arg in self.args:
                if arg.rest:
                    remaining = _unquote(stream.read().strip())
                    if remaining:
                        values[arg.name] = remaining
                    return values
                token = lexer.get_token()
                if token is None:
                    return values
                values[arg.name] = token
            if lexer.get_token() is not None:
                raise UsageError("too many arguments")
        except ValueError:
            raise UsageError("a quote is not closed") from None
        return values


@dataclass(frozen=True, slots=True)
class Action:
    """A button or select: `ActionPressed.action == name`. With a `payload` class, every press
    is checked to unpack before the handler runs (which reads it with `Payload.of(ctx)`)."""

    name: str
    handler: Handler
    role: Role = Role.MEMBER
    payload: type[Payload] | None = None

    @classmethod
    def taking(cls, payload: type[Payload], handler: Handler, role: Role = Role.MEMBER) -> Action:
        """The action of a payload's buttons."""
        return cls(payload.action, handler, role, payload)


@dataclass(frozen=True, slots=True)
class FormHandler:
    """Receives a submitted form. `build` makes the form for this member (choices come from
    settings, defaults from their profile); submissions are validated against it first."""

    form: str
    handler: Handler
    build: Callable[[Context[Any]], Form]
    role: Role = Role.MEMBER


@dataclass(frozen=True, slots=True)
class Tool:
    """A `roost NAME …` command a feature adds to the command line: the arguments it adds to
    its own parser, and what it does given the settings and the database (migrated already);
    its exit status. A tool of `subtools` (`roost invites create`) runs one of them."""

    name: str
    help: str
    run: Callable[[Settings, Database, argparse.Namespace], Awaitable[int]] | None = None
    arguments: Callable[[argparse.ArgumentParser], None] = lambda _parser: None
    subtools: tuple[Tool, ...] = ()


@dataclass(frozen=True, slots=True)
class On:
    """Any other inbound event of a type (a join, a leave, a poll answer)."""

    event: type[Event]
    handler: Handler


@dataclass(frozen=True, slots=True)
class Router:
    name: str
    commands: tuple[Command, ...] = ()
    actions: tuple[Action, ...] = ()
    forms: tuple[FormHandler, ...] = ()
    events: tuple[On, ...] = ()
    kinds: tuple[CampaignKind, ...] = ()  # the campaigns this feature sends
    duties: tuple[Duty, ...] = ()  # what the scheduler does for it daily
    tools: tuple[Tool, ...] = ()  # what it adds to the command line
    web: tuple[WebRoute, ...] = ()  # public web routes: links, landing pages, APIs
    pages: tuple[Page, ...] = ()  # dashboard pages
    reports: tuple[Report, ...] = ()  # in chat (/stats), on the dashboard, as CSV
    children: tuple[Router, ...] = ()

    def walk(self) -> Iterator[Router]:
        yield self
        for child in self.children:
            yield from child.walk()


class Routes:
    """The index of a router tree."""

    def __init__(self, root: Router) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Action] = {}
        self.forms: dict[str, FormHandler] = {}
        self.events: dict[type[Event], list[Handler]] = {}
        self.kinds: dict[str, CampaignKind] = {}
        self.duties: dict[str, Duty] = {}
        self.tools: dict[str, Tool] = {}
        self.web: dict[str, WebRoute] = {}
        self.pages: dict[str, Page] = {}
        self.reports: dict[str, Report] = {}
        for router in root.walk():
            for route in router.web:
                _claim(self.web, f"{route.method} {route.path}", route, router.name)
            for page in router.pages:
                _claim(self.pages, f"{page.method} {page.path}", page, router.name)
            for report in router.reports:
                _claim(self.reports, report.name, report, router.name)
            for tool in router.tools:
                _claim(self.tools, tool.name, tool, router.name)
            for kind in router.kinds:
                _claim(self.kinds, kind.name, kind, router.name)
            for duty in router.duties:
                _claim(self.duties, duty.name, duty, router.name)
            for command in router.commands:
                for name in (command.name, *command.aliases):
                    _claim(self.commands, name, command, router.name)
            for action in router.actions:
                _claim(self.actions, action.name, action, router.name)
            for form in router.forms:
                _claim(self.forms, form.form, form, router.name)
            for on in router.events:
                self.events.setdefault(on.event, []).append(on.handler)

    def visible(self, role: Role) -> list[Command]:
        """Distinct commands a role may run (or one of whose sub-commands it may), in
        declaration order, for /help."""
        seen: dict[str, Command] = {}
        for command in self.commands.values():
            if command.role <= role or any(s.role <= role for s in command.subcommands):
                seen.setdefault(command.name, command)
        return list(seen.values())


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].strip()
    return text


def _claim(index: dict[str, Any], key: str, value: Any, owner: str) -> None:
    if key in index and index[key] is not value:
        raise ValueError(f"{owner}: {key!r} is already routed elsewhere")
    index[key] = value
