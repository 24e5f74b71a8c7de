"""Fuzzing what Roost declares: the targets (every command and sub-command, button, form, web
route and command-line tool, found from the routers and the web server, never listed by
hand), Hypothesis strategies for what people could type at each, and a community on the
console to type it at.

What every input must get, refused or not: no traceback anywhere, an answer that says what was
expected when it is refused, nothing kept of a refused input, and no text cut short without
a word.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import App
from bot.events import Chat as Where
from bot.events import ChatKind, Event, Origin, User
from bot.handlers import root_router
from bot.messages import FieldKind, Form
from bot.router import Arg, Command, Router, Routes
from bot.segments import FILTER_KEYS
from bot.settings import Settings
from storage.db import Database
from storage.models import Member
from tests.chat import Chat

SORRY = "something went wrong"
# Said in every refusal: the marks of an answer that says what was expected.
EXPECTED = (
    "Hmm,",
    "Usage",
    "one of",
    "takes",
    "at most",
    "There is no",
    "There's no",
    "no longer",
    "I can't find",
    "I couldn't",
    "is only for",
    "Sorry,",
    "expired",
    "Nothing was",
    "nothing was",
    "please",
)
# What any input may change though refused: when someone was last seen, that an event came,
# the brute-force guard counting a try, what keeps processes apart.
TOUCHED = {
    "member": {"last_active_at"},
    "identity": {"last_seen_at", "handle", "display_name", "platform_roles"},
}
COUNTED = {"handled_event", "code_attempt", "lease", "duty_run", "web_session"}


@dataclass(frozen=True)
class Target:
    """One declared way in: `command` (`jobs invite`), `action`, `form`, `route`, `tool`."""

    kind: str
    name: str
    feature: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def routes() -> Routes:
    return Routes(root_router())


def feature_of(root: Router) -> dict[int, str]:
    """Each declared object's feature, by identity."""
    owner: dict[int, str] = {}
    for router in root.walk():
        for thing in (*router.commands, *router.actions, *router.forms, *router.tools):
            owner[id(thing)] = router.name
    return owner


def chat_targets() -> list[Target]:
    """Every command, sub-command, button and form the routers declare."""
    root = root_router()
    owner = feature_of(Router("all", children=(root,)))
    index = Routes(root)
    found: list[Target] = []
    for command in {id(c): c for c in index.commands.values()}.values():
        feature = owner.get(id(command), "help")
        if command.handler is not None:
            found.append(Target("command", command.name, feature))
        found += [
            Target("command", f"{command.name} {sub.name}", feature) for sub in command.subcommands
        ]
    found += [Target("action", a.name, owner[id(a)]) for a in index.actions.values()]
    found += [Target("form", f.form, owner[id(f)]) for f in index.forms.values()]
    return found


def tool_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every `roost …` command line (`invites create`), with the parser of its arguments."""
    found: dict[str, argparse.ArgumentParser] = {}

    def walk(made: argparse.ArgumentParser, words: str) -> None:
        inner = [a for a in made._actions if isinstance(a, argparse._SubParsersAction)]
        if not inner:
            found[words.strip()] = made
        for name, child in inner[0].choices.items() if inner else ():
            walk(child, f"{words} {name}")

    walk(parser, "")
    return found


def tool_targets(parser: argparse.ArgumentParser) -> list[Target]:
    return [Target("tool", name) for name in tool_parsers(parser)]


def web_targets(app: App) -> list[Target]:
    """Every route Roost's web server serves (the adapters' webhooks among them)."""
    found = []
    for resource in app.web.app.router.resources():
        for route in resource:
            if route.method not in ("HEAD", "OPTIONS"):
                found.append(Target("route", f"{route.method} {resource.canonical}"))
    return found


# -- what people type ---------------------------------------------------------------------

HUGE = "99999999999999999999999"
LONG = "<10,001 characters>"  # over any limit Roost has; kept short in reprs
ODD = st.sampled_from(
    [
        LONG,
        "",
        "0",
        "-1",
        "#1",
        "1",
        "2",
        HUGE,
        "²",
        "١٢",
        "ＳＴＯＰ",
        "\u202egnp.exe",
        "a\u200bb",
        '"unclosed',
        "'",
        '=HYPERLINK("https://evil.example","x")',
        "<b>x</b>",
        "**bold**",
        "`code`",
        "javascript:alert(1)",
        "https://example.com/x",
        "http://localhost/x",
        "2026-02-30",
        "2026-12-24 18:00",
        "9999-12-31",
        "every mon 09:00",
        "0 0 31 2 *",
        "30d",
        "99999999d",
        "in 2h",
        "@ana",
        "@nobody",
        "console:ana",
        "console:hr",
        "FAIR",
        "yes",
        "no",
        "on",
        "off",
        "news",
        "jobs",
        "|",
        "\x00\x07",
        "🤖",
    ]
).map(lambda word: "x" * 10_001 if word == LONG else word)
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
WORD = st.one_of(ODD, TEXT, st.integers(-5, 10**12).map(str))
OPTION_KEYS = (*FILTER_KEYS, "page", "to", "sample", "wait", "job", "source", "event", "days",
               "campaign", "expires", "uses", "code", "unopened", "partial", "followup",
               "voted", "bogus")  # fmt: skip
OPTION = st.builds(lambda key, value: f"{key}={value}", st.sampled_from(OPTION_KEYS), WORD)
OPTION_LINE = st.lists(st.one_of(WORD, OPTION), max_size=4).map(" ".join)


def lines() -> st.SearchStrategy[str]:
    """What someone types in chat: any command with words and options, or just words."""
    names = sorted(routes().commands)
    command = st.tuples(st.sampled_from(names), OPTION_LINE).map(lambda c: f"/{c[0]} {c[1]}")
    return st.one_of(command, OPTION_LINE).map(str.strip).filter(bool)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | WORD,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORD, inner, max_size=3),
    max_leaves=8,
)


def arg_value(arg: Arg) -> st.SearchStrategy[str]:
    """What might be typed for one declared argument: its choices, odd words, options."""
    choices = st.sampled_from(arg.choices) if arg.choices else st.nothing()
    many = st.lists(st.one_of(WORD, OPTION), max_size=4).map(" ".join)
    return st.one_of(choices, WORD, OPTION, many) if arg.rest else st.one_of(choices, WORD)


def typed(command: Command) -> st.SearchStrategy[str]:
    """A line of arguments for a command: its own, some missing, or too many."""
    parts = [arg_value(arg) for arg in command.args]
    declared = st.tuples(*parts).map(lambda words: " ".join(w for w in words if w))
    return st.one_of(declared, st.lists(WORD, max_size=5).map(" ".join))


def field_value(kind: FieldKind, choices: tuple[str, ...]) -> st.SearchStrategy[str]:
    known = st.sampled_from(choices) if choices else st.nothing()
    yes_no = st.sampled_from(("yes", "no")) if kind is FieldKind.YES_NO else st.nothing()
    return st.one_of(known, yes_no, WORD)


def form_values(form: Form) -> st.SearchStrategy[dict[str, str]]:
    """A submission of `form`: each field something, or left out."""
    return st.fixed_dictionaries(
        {},
        optional={f.name: field_value(f.kind, f.choices) for f in form.fields},
    ).map(lambda values: {**values, **({"bogus": "x"} if len(values) % 3 == 0 else {})})


def built(form_handler: Any, settings: Settings) -> Form:
    """The form a handler builds, for a member who has not onboarded yet."""
    stand_in = SimpleNamespace(member=Member(created_at=datetime(2026, 1, 1)), settings=settings)
    form: Form = form_handler.build(stand_in)
    return form


Test = TypeVar("Test", bound=Callable[..., None])


def few(target: Target | str, examples: int = 6) -> Callable[[Test], Test]:
    """Hypothesis, trying `examples` inputs at `target`: the same ones every run (seeded by
    the target, so a failure repeats and each target gets inputs of its own)."""

    def settle(test: Test) -> Test:
        tried = settings(max_examples=examples, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))(test)  # fmt: skip
        return seed(zlib.crc32(str(target).encode()))(tried)

    return settle


def examples(name: str, strategy: st.SearchStrategy[Any], count: int = 24) -> list[Any]:
    """`count` values of a strategy, the same every run (for loops of an emulator's own,
    which Hypothesis cannot drive)."""
    found: list[Any] = []

    @few(name, count)
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


# -- checking what came of it -------------------------------------------------------------


class Errors(logging.Handler):
    """Every ERROR (or worse) anything logs, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def fingerprint(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row Roost keeps, but what any input may touch (who was seen when, the counters
    that guard codes and processes)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in COUNTED:
                continue
            columns = [c for c in table.columns if c.name not in TOUCHED.get(table.name, set())]
            rows = (await conn.execute(select(*columns))).all()
            found[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return found


def cut_short(before: dict[str, Any], after: dict[str, Any], typed: str) -> list[str]:
    """Text kept that is the start of something longer the input carried: cut without a
    word (a refusal would have named the limit instead)."""
    long_words = [w for w in typed.split() if len(w) >= 200]
    if not long_words:
        return []
    found = []
    for table, rows in after.items():
        for row in set(rows) - set(before.get(table, [])):
            for value in row:
                for word in long_words:
                    if 40 <= len(value) < len(word) and word.startswith(value):
                        found.append(f"{table}: {value[:30]}… of {len(word)}")
    return found


@dataclass
class Community:
    """A running Roost on the console, with a few members, a piece of content, a job, a code,
    a poll, an event and a sequence, so that the numbers people type find something."""

    chat: Chat
    db: Database
    errors: Errors
    loop: asyncio.AbstractEventLoop

    @property
    def app(self) -> App:
        return self.chat.app

    def run(self, work: Any) -> Any:
        return self.loop.run_until_complete(work)

    def origin(self, user: str) -> Origin:
        return Origin(User("console", user, name=user.title(), handle=user),
                      Where("console", f"dm:{user}", ChatKind.DM))  # fmt: skip

    def check(self, what: str, act: Any) -> str:
        """Do `act` (a coroutine that makes the input); what Roost answered. Fails on a
        traceback, a refusal that keeps anything or names nothing, and text cut short."""
        before = self.run(fingerprint(self.db))
        refused, start = self.app.refused, len(self.chat.out.getvalue())
        self.errors.records.clear()
        self.run(act)
        seen = self.chat.out.getvalue()[start:]
        problems = [r.getMessage() for r in self.errors.records]
        assert not problems, f"{what}: logged {problems[:2]}"
        assert "Traceback" not in seen and SORRY not in seen, f"{what}: {seen[:300]}"
        after = self.run(fingerprint(self.db))
        if self.app.refused > refused:
            changed = sorted(t for t in after if after[t] != before.get(t))
            assert not changed, f"{what} was refused but changed {changed}"
            assert any(mark in seen for mark in EXPECTED), f"{what}: {seen[:300]!r}"
        cut = cut_short(before, after, what)
        assert not cut, f"{what}: cut short without a word: {cut}"
        return seen

    def say(self, line: str, user: str) -> str:
        return self.check(line, self.chat.say(line, as_=user))

    def send(self, event: Event, what: str) -> str:
        return self.check(what, self.app.handle(event))


SEED_COMPOSE = ("company_news", "Salaries in data", "-", "-", "Pay is up.", "-", "-")
SEED_JOB = ("Backend engineer", "engineering", "senior", "Berlin", "https://ats.example/7", "-")
SEED_POLL = ("Which meetup?", "Rust\nGo", "single", "no", "in 2h", "-", "-")
SEED_EVENT = ("info_session", "Open evening", "Meet the team.", "2026-12-20 18:00", "19:30",
              "Berlin office", "20", "-")  # fmt: skip


async def seeded(chat: Chat) -> None:
    for someone in ("boss", "hr", "employee", "guest"):  # met: a first contact keeps them
        await chat.say("/help", as_=someone)
    for name in ("ana", "ben"):
        await chat.onboard(name)
    await chat.say("/compose", *SEED_COMPOSE, as_="hr")
    await chat.say("/jobs add", *SEED_JOB, as_="hr")
    await chat.say("/invites create job-fair code=FAIR", as_="hr")
    await chat.say("/poll", *SEED_POLL, as_="hr")
    await chat.say("/event", *SEED_EVENT, as_="hr")
    await chat.say("/nurture new Data | function=data", "/nurture step 1 content 1", as_="hr")
    await chat.say("/schedule 1 now to=dm", as_="hr")
    await chat.app.worker.drain()
