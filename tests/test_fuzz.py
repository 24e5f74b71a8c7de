"""Fuzzing: whatever anyone types at whatever Roost declares (every command and sub-command,
button, form, web route and command-line tool, found from the routers and the web server),
on SQLite and PostgreSQL, gets no traceback, an answer that says what was expected when it is
refused, keeps nothing of a refused input and cuts no text short without a word.

Inputs come from Hypothesis, derandomized (the same inputs every run, so a failure repeats)
and few per target, to keep `make test` within its time; a new command is fuzzed without
touching this file, and `test_the_fuzz_covers_everything_declared` fails if it would not be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlmodel import select

from bot.cli import main, parser
from bot.clock import ManualClock
from bot.events import ActionPressed, FormSubmitted
from bot.router import Role
from bot.settings import Settings
from storage.db import Database
from storage.models import FormProgress, WebSession
from storage.pipeline import PROGRESS
from tests.chat import Chat
from tests.fuzz import (
    HUGE,
    JSON,
    ODD,
    WORD,
    Community,
    Errors,
    Target,
    built,
    chat_targets,
    few,
    fingerprint,
    form_values,
    routes,
    seeded,
    tool_parsers,
    tool_targets,
    typed,
    web_targets,
)

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ATS_TOKEN = "ats-token-for-fuzzing"

# Who types at a target of each role: someone who may, then someone who may not.
PEOPLE = {
    Role.ADMIN: ("boss", "hr"),
    Role.HR: ("hr", "ana"),
    Role.EMPLOYEE: ("employee", "ana"),
    Role.MEMBER: ("ana", "guest"),
}
FEATURES = sorted({t.feature for t in chat_targets()})


def community_settings(*, web: bool = False) -> Settings:
    return Settings.model_validate(
        {
            "community": {"name": "Acme Talent Community"},
            "web": {"enabled": web, "port": 0},
            "limits": {"commands_per_minute": 100_000},
            "pipeline": {"ats_token": ATS_TOKEN},
            "roles": {
                "hr": ["console:hr"],
                "admin": ["console:boss"],
                "employee": ["console:employee"],
            },
        }
    )


@contextlib.contextmanager
def community(db_url: str, *, web: bool = False) -> Iterator[Community]:
    """A seeded community on the console, on a loop of its own (Hypothesis runs examples
    synchronously)."""
    loop = asyncio.new_event_loop()
    db = Database(db_url)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    chat = Chat.start(community_settings(web=web), db, ManualClock(START))
    try:
        loop.run_until_complete(seeded(chat))
        if web:
            loop.run_until_complete(chat.app.web.start())
        yield Community(chat, db, errors, loop)
    finally:
        if web:
            loop.run_until_complete(chat.app.web.stop())
        loop.run_until_complete(db.dispose())
        loop.close()
        logging.getLogger().removeHandler(errors)


async def forget_forms(db: Database) -> None:
    """Leave any form an input started, so the next input is read as itself."""
    async with db.engine.begin() as conn:
        await conn.execute(delete(FormProgress))


# -- chat ------------------------------------------------------------------------------------


def fuzz_chat(roost: Community, target: Target) -> None:
    index = routes()
    if target.kind == "command":
        name, _, sub = target.name.partition(" ")
        command = index.commands[name]
        declared = command.sub(sub) if sub else command
        assert declared is not None
        words = st.just(sub + " ") if sub else st.just("")

        @few(target)
        @given(words, typed(declared))
        def typing(sub_word: str, rest: str) -> None:
            line = f"/{name} {sub_word}{rest}".strip()
            as_role(roost, declared.role, lambda user: roost.say(line, user))

        typing()
    elif target.kind == "action":
        action = index.actions[target.name]
        value = st.one_of(
            ODD,
            st.integers(-1, 4).map(str),
            st.tuples(st.integers(0, 3), st.integers(0, 3)).map(lambda p: f"{p[0]}:{p[1]}"),
        )

        @few(target)
        @given(value, st.sampled_from([None, "1", HUGE]))
        def pressing(value: str, message_id: str | None) -> None:
            def press(user: str) -> str:
                event = ActionPressed(origin=roost.origin(user), action=action.name,
                                      value=value, message_id=message_id)  # fmt: skip
                return roost.send(event, f"pressed {action.name} {value!r}")

            as_role(roost, action.role, press)

        pressing()
    else:
        handler = index.forms[target.name]
        form = built(handler, roost.app.settings)

        @few(target)
        @given(form_values(form))
        def submitting(values: dict[str, str]) -> None:
            def submit(user: str) -> str:
                event = FormSubmitted(origin=roost.origin(user), form=form.id, values=values)
                return roost.send(event, f"submitted {form.id} {values!r}")

            as_role(roost, handler.role, submit)

        submitting()


def as_role(roost: Community, role: Role, act: Any) -> None:
    """`act` by someone with `role`, then by someone without it, who must be refused."""
    allowed, other = PEOPLE[role]
    act(allowed)
    roost.run(forget_forms(roost.db))
    refused = roost.app.refused
    seen = act(other)
    roost.run(forget_forms(roost.db))
    if role >= Role.HR:
        assert roost.app.refused > refused, f"{other} was not refused: {seen[:200]}"


@pytest.mark.parametrize("feature", FEATURES)
def test_whatever_is_typed_at_a_feature_is_answered_politely(db_url: str, feature: str) -> None:
    with community(db_url) as roost:
        for target in chat_targets():
            if target.feature == feature:
                fuzz_chat(roost, target)


# -- the web ---------------------------------------------------------------------------------

QUERY_KEYS = ("token", "page", "job", "source", "event", "q", "function", "active", "csrf")
APPLICATION = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(PROGRESS) | WORD,
        "ref": WORD,
        "job_id": st.integers(-1, 3) | WORD | JSON,
        "member_id": st.integers(-1, 3) | WORD | JSON,
    },
)


@st.composite
def requests(draw: st.DrawFn, route: str, csrf: str) -> dict[str, Any]:
    """A request to a route (`GET /i/{code}`): its placeholders, query and body filled."""
    method, path = route.split(" ", 1)
    for name in ("id", "token", "code", "platform"):
        path = path.replace("{" + name + "}", urllib.parse.quote(draw(WORD) or "x", safe=""))
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS), WORD, max_size=3))
    request: dict[str, Any] = {"method": method, "url": path, "params": query, "headers": {}}
    if method == "POST":
        body = draw(st.sampled_from(["form", "json", "application", "bytes"]))
        if body == "form":
            fields = draw(st.dictionaries(st.sampled_from(["label", "name", "csrf"]), WORD))
            request["data"] = {**fields, **({"csrf": csrf} if draw(st.booleans()) else {})}
        elif body in ("json", "application"):
            value = draw(APPLICATION if body == "application" else JSON)
            request["data"] = json.dumps(value).encode()
            request["headers"]["Content-Type"] = "application/json"
        else:
            request["data"] = draw(st.binary(max_size=64))
        if draw(st.booleans()):
            request["headers"]["Authorization"] = f"Bearer {ATS_TOKEN}"
    return request


async def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies from 127.0.0.1, as a browser does."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def signed_in(roost: Community, http: aiohttp.ClientSession) -> str:
    """Sign `http` in to the dashboard as HR; the session's CSRF token."""
    seen = await roost.chat.say("/dashboard", as_="hr")
    token = seen.split("token=", 1)[1].split()[0].rstrip(").")
    base = f"http://127.0.0.1:{roost.app.web.port}"
    async with http.get(f"{base}/dashboard/signin", params={"token": token}) as response:
        assert response.status == 200, await response.text()
    async with roost.db.session() as session:
        row = (await session.exec(select(WebSession).where(WebSession.kind == "session"))).one()
        assert row is not None and row.csrf
        return row.csrf


@pytest.mark.parametrize("signed", [False, True], ids=["visitor", "hr"])
def test_whatever_is_requested_of_the_web_gets_no_error(db_url: str, signed: bool) -> None:
    with community(db_url, web=True) as roost:
        http = roost.run(browser())
        base = f"http://127.0.0.1:{roost.app.web.port}"

        async def call(request: dict[str, Any]) -> tuple[int, str]:
            url = base + request.pop("url")
            async with http.request(url=url, allow_redirects=False, **request) as response:
                return response.status, await response.text()

        try:
            csrf = roost.run(signed_in(roost, http)) if signed else ""
            for target in web_targets(roost.app):

                @few(target)
                @given(requests(target.name, csrf))
                def requesting(request: dict[str, Any]) -> None:
                    what = f"{request['method']} {request['url']} {request['params']}"
                    before = roost.run(fingerprint(roost.db))
                    roost.errors.records.clear()
                    status, body = roost.run(call(dict(request)))
                    assert status < 500, f"{what}: {status} {body[:300]}"
                    assert not roost.errors.records, f"{what}: logged {roost.errors.records[0]}"
                    assert "Traceback" not in body, what
                    if status >= 400:
                        after = roost.run(fingerprint(roost.db))
                        changed = sorted(t for t in after if after[t] != before[t])
                        assert not changed, f"{what}: {status} but changed {changed}"

                requesting()
        finally:
            roost.run(http.close())


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "roost.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{path}"


# -- the command line ------------------------------------------------------------------------


@st.composite
def command_lines(draw: st.DrawFn, tool: argparse.ArgumentParser, out: Path) -> list[str]:
    """Arguments for one `roost TOOL …`: its own (choices, options with odd values, files
    under `out`), some left out, some unknown."""
    argv: list[str] = []
    for action in tool._actions:
        if isinstance(action, argparse._HelpAction) or not draw(st.booleans()):
            if not action.option_strings and draw(st.booleans()):
                continue
            if action.option_strings:
                continue
        if action.option_strings:
            argv.append(draw(st.sampled_from(action.option_strings)))
            if action.nargs == 0:
                continue
            if action.dest in ("output", "qr"):
                argv.append(str(out / draw(st.sampled_from(["x.csv", "x.png", "no/such/x"]))))
                continue
        choices = st.sampled_from(list(action.choices)) if action.choices else st.nothing()
        argv.append(draw(st.one_of(choices, WORD.filter(lambda w: not w.startswith("-")))))
    if draw(st.integers(0, 4)) == 0:
        argv.append(draw(st.sampled_from(["--bogus", "extra", HUGE])))
    return argv


def test_whatever_is_typed_on_the_command_line_ends_in_words(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = tmp_path / "roost.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n[console]\nenabled = false\n[web]\nenabled = false\n'
    )
    for name, tool in tool_parsers(parser(routes().tools)).items():
        fuzz_tool(Target("tool", name), tool, config, capsys, caplog)


def fuzz_tool(
    target: Target,
    tool: argparse.ArgumentParser,
    config: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    @few(target)
    @given(command_lines(tool, config.parent))
    def typing(argv: list[str]) -> None:
        try:
            status = main(["--config", str(config), *target.name.split(), *argv])
        except SystemExit as exit:  # argparse's own refusal, its usage printed
            status = exit.code if isinstance(exit.code, int) else 2
        out, err = capsys.readouterr()
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        caplog.clear()
        assert status in (0, 1, 2), (argv, status)
        assert "Traceback" not in out + err, (argv, err[-500:])
        if status:
            assert err.strip() or said, f"roost {target.name} {argv} failed without a word"

    typing()


# -- what the fuzz covers --------------------------------------------------------------------


def test_the_fuzz_covers_everything_declared(sqlite_url: str) -> None:
    """Everything a router, the web server or the command line declares is a fuzz target:
    listed here from the declarations themselves, so nothing new slips by."""
    index = routes()
    declared = {f"action:{name}" for name in index.actions} | {
        f"form:{name}" for name in index.forms
    }
    for command in index.commands.values():
        if command.handler is not None:
            declared.add(f"command:{command.name}")
        declared |= {f"command:{command.name} {sub.name}" for sub in command.subcommands}
    fuzzed = {str(t) for t in chat_targets() if t.feature in FEATURES}
    assert declared == fuzzed, declared ^ fuzzed
    for target in chat_targets():  # each has inputs to try
        if target.kind == "command":
            name, _, sub = target.name.partition(" ")
            assert index.commands[name].sub(sub) if sub else index.commands[name]
        if target.kind == "form":
            assert built(index.forms[target.name], community_settings()).fields

    made = parser(index.tools)
    lines = {
        f"{tool.name} {sub.name}" if sub else tool.name
        for tool in index.tools.values()
        for sub in tool.subtools or (None,)
    }
    assert {"run", "worker", "db", *lines} == {t.name for t in tool_targets(made)}

    async def served() -> set[str]:
        db = Database(sqlite_url)
        chat = Chat.start(community_settings(web=True), db, ManualClock(START))
        await db.dispose()
        return {t.name for t in web_targets(chat.app)}

    routes_served = asyncio.run(served())
    some = {"GET /healthz", "POST /api/applications", "GET /dashboard/members/{id}",
            "POST /dashboard/members/{id}/label", "GET /i/{code}", "GET /r/{token}"}  # fmt: skip
    assert some <= routes_served, some - routes_served
    print("fuzzed:", len(fuzzed), "chat targets,", len(routes_served), "web routes,",
          len(tool_targets(made)), "command lines")  # fmt: skip
