"""HR's reports on a synthetic community, timed on SQLite and PostgreSQL at growing sizes.

The community is seeded into the real schema with set-based SQL (one INSERT … SELECT per
table over a run of numbers), so a million members take a minute, not an hour: members over
every source and platform, consents, content facts (delivered, opened, finished per title),
job invitations with their deliveries and answers, event registrations and check-ins, survey
answers and poll votes, about ten facts a member. Every report then runs through the very
functions `/stats`, `/members` and the exports call, and the table shows each one's time at
each size, and how it grew against the members (1.0: linear). The heaviest queries' plans are
printed after the table.

    python -m bench.analytics --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from bench.util import postgres, sqlite
from bot.app import features
from bot.reports import Query, as_csv, read_options
from bot.settings import Settings
from storage.content import retally
from storage.db import Database
from storage.members import ConsentKind, MemberFilter, breakdown, search

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SOURCES = ("careers_site", "email", "social", "rejection_letter", "job_fair", "referral", "alumni")
PLATFORMS = ("telegram", "slack", "discord")
FUNCTIONS = ("engineering", "product", "design", "data", "sales")
SENIORITY = ("junior", "mid", "senior", "lead")
ITEMS, JOBS, EVENTS, POLLS, CODES = 40, 20, 30, 20, 21
NEWS_EVERY, JOBS_EVERY = 10, 3  # every tenth member said no to news, every third to jobs
TARGET = {"postgresql": 0.5, "sqlite": 2.0}  # seconds a report may take at 1M members
SIZES = [int(n) for n in os.environ.get("ROOST_BENCH_MEMBERS", "10000,100000,1000000").split(",")]


class Seeder:
    """INSERT … SELECT over the numbers 1..n, in each dialect's words."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.pg = conn, conn.dialect.name == "postgresql"

    def days_ago(self, days: str) -> str:
        if self.pg:
            return f"(TIMESTAMP '2026-11-27 09:00:00' - ({days}) * INTERVAL '1 day')"
        stamp = "'%Y-%m-%d %H:%M:%S.000000', '2026-11-27 09:00:00'"
        return f"strftime({stamp}, '-' || ({days}) || ' days')"

    def json(self, expr: str) -> str:
        return f"({expr})::json" if self.pg else expr

    def true(self) -> str:
        return "true" if self.pg else "1"

    @staticmethod
    def pick(expr: str, values: tuple[str, ...]) -> str:
        cases = " ".join(f"WHEN {n} THEN '{v}'" for n, v in enumerate(values))
        return f"(CASE ({expr}) % {len(values)} {cases} END)"

    def fill(self, table: str, columns: dict[str, str], n: int, where: str = "1 = 1") -> None:
        names, values = ", ".join(columns), ", ".join(columns.values())
        if self.pg:
            sql = (
                f"INSERT INTO {table} ({names}) SELECT {values} "
                f"FROM generate_series(1, {n}) AS n(i) WHERE {where}"
            )
        else:
            sql = (
                f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
                f"INSERT INTO {table} ({names}) SELECT {values} FROM n WHERE {where}"
            )
        self.conn.execute(text(sql))


async def populate(db: Database, members: int, progress: Callable[[str], None]) -> None:
    """The community seeded, and the tallies Roost keeps as facts are recorded counted once
    from what the seed wrote."""
    async with db.engine.begin() as conn:
        await conn.run_sync(seed, members, progress)
        progress("content tally")
        await retally(conn)
    progress("vacuum")
    async with db.engine.connect() as conn:  # VACUUM runs outside a transaction
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        # What autovacuum does to a live database after a bulk load: statistics for the
        # planner and, on PostgreSQL, the visibility map that lets index-only scans skip the
        # table.
        await auto.exec_driver_sql("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE")


def seed(conn: Connection, members: int, progress: Callable[[str], None]) -> None:
    s, true = Seeder(conn), Seeder(conn).true()
    at = s.days_ago
    steps: list[tuple[str, Callable[[], None]]] = [
        ("small tables", lambda: _small(s)),
        ("members", lambda: s.fill("member", {
            "id": "i",
            "function": s.pick("i", FUNCTIONS),
            "seniority": s.pick("i / 5", SENIORITY),
            "location": s.pick("i / 3", ("Berlin", "Hamburg", "remote")),
            "created_at": at("i % 365"),
            "privacy_notice_at": at("i % 365"),
            "privacy_version": "'2026-11'",
            "joined_at": at("i % 365"),
            "first_source": s.pick(f"(i % {CODES}) + 1", SOURCES),
            "consent_news": f"(i % {NEWS_EVERY}) <> 0",
            "consent_jobs": f"(i % {JOBS_EVERY}) <> 0",
            "onboarded_at": at("i % 365"),
            "last_active_at": at("(i * 7) % 200"),
            "last_contact_at": at("(i * 3) % 60"),
        }, members)),
        ("accounts", lambda: s.fill("identity", {
            "member_id": "i",
            "platform": s.pick("i", PLATFORMS),
            "platform_user_id": "'u' || i",
            "deliverable": true,
            "created_at": at("i % 365"),
        }, members)),
        ("joins", lambda: s.fill("member_join", {
            "member_id": "i",
            "invite_code_id": f"(i % {CODES}) + 1",
            "source": s.pick(f"(i % {CODES}) + 1", SOURCES),
            "platform": s.pick("i", PLATFORMS),
            "first_touch": true,
            "at": at("i % 365"),
        }, members)),
        ("consents", lambda: _consents(s, members)),
        ("content facts", lambda: _content(s, members)),
        ("invitations", lambda: _pipeline(s, members)),
        ("events", lambda: _events(s, members)),
        ("polls", lambda: s.fill("vote", {
            "poll_id": f"(i % {POLLS}) + 1",
            "option_id": f"(i % {POLLS}) * 4 + (i / {POLLS}) % 4 + 1",
            "member_id": "i",
            "platform": s.pick("i", PLATFORMS),
            "at": at("(i * 11) % 60"),
        }, members, "i % 4 = 0")),
    ]  # fmt: skip
    for name, step in steps:
        progress(name)
        step()
    if s.pg:
        for table in (
            "member",
            "identity",
            "member_join",
            "consent",
            "interaction",
            "delivery",
            "invitation",
            "feedback",
            "registration",
            "survey_response",
            "vote",
        ):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 1))"
            ))  # fmt: skip


def _consents(s: Seeder, members: int) -> None:
    """News for nine in ten, job invitations for two in three."""
    for kind, mod in (("news", NEWS_EVERY), ("jobs", JOBS_EVERY)):
        s.fill("consent", {
            "member_id": "i",
            "kind": f"'{kind}'",
            "granted": f"(i % {mod}) <> 0",
            "wording_version": "'1'",
            "platform": s.pick("i", PLATFORMS),
            "at": s.days_ago("i % 365"),
        }, members)  # fmt: skip


def _content(s: Seeder, members: int) -> None:
    """Four items delivered to each member over half a year, two in three opened one, some
    finished it: seven facts a member at the most."""
    for kind, k, where in (
        ("delivered", 0, "1 = 1"), ("delivered", 1, "1 = 1"),
        ("delivered", 2, "1 = 1"), ("delivered", 3, "1 = 1"),
        ("opened", 0, "i % 3 <> 0"), ("opened", 1, "i % 3 = 1"),
        ("finished", 0, "i % 5 = 0"),
    ):  # fmt: skip
        s.fill("interaction", {
            "member_id": "i",
            "kind": f"'{kind}'",
            "subject_type": "'content'",
            "subject_id": f"((i * 7 + {k}) % {ITEMS}) + 1",
            "variant_id": f"(((i * 7 + {k}) % {ITEMS}) * 2) + 1 + (i % 2)",
            "platform": s.pick("i", PLATFORMS),
            "at": s.days_ago(f"(i * 13 + {k} * 29) % 180"),
        }, members, where)  # fmt: skip


def _small(s: Seeder) -> None:
    """Codes, content, jobs, events, surveys and polls: a few dozen rows each."""
    at, true = s.days_ago, s.true()
    s.fill(
        "invite_code",
        {
            "id": "i",
            "code": "'CODE' || i",
            "source": s.pick("i", SOURCES),
            "uses": "0",
            "visits": "0",
            "platform_links": "'{}'",
            "created_at": at("400"),
        },
        CODES,
    )
    s.fill(
        "content_item",
        {
            "id": "i",
            "kind": "'company_news'",
            "body": "'News ' || i",
            "status": "'approved'",
            "created_at": at(f"({ITEMS} - i) * 4"),
        },
        ITEMS,
    )
    s.fill(
        "title_variant",
        {
            "id": "i",
            "content_id": "(i + 1) / 2",
            "position": "(i + 1) % 2",
            "title": "'Title ' || i",
        },
        ITEMS * 2,
    )
    s.fill(
        "job",
        {
            "id": "i",
            "title": "'Job ' || i",
            "function": s.pick("i", FUNCTIONS),
            "apply_url": "'https://jobs.example/' || i",
            "created_at": at("120"),
        },
        JOBS,
    )
    s.fill(
        "campaign",
        {
            "id": "i",
            "kind": "'job_invitation'",
            "subject_type": "'job'",
            "subject_id": "i",
            "audience": "'{}'",
            "status": "'done'",
            "on_unknown": "'skip'",
            "seed": "0",
            "created_at": at("100"),
        },
        JOBS,
    )
    s.fill(
        "survey",
        {
            "id": "i",
            "title": "'How was it? ' || i",
            "questions": "'[]'",
            "created_at": at("i * 3"),
        },
        EVENTS,
    )
    s.fill(
        "community_event",
        {
            "id": "i",
            "kind": "'info_session'",
            "title": "'Event ' || i",
            "description": "''",
            "starts_at": at("i * 3"),
            "ends_at": at("i * 3"),
            "timezone": "'UTC'",
            "invite_code_id": f"(i % {CODES}) + 1",
            "survey_id": "i",
            "created_at": at("200"),
        },
        EVENTS,
    )
    s.fill(
        "poll",
        {
            "id": "i",
            "question": "'Question ' || i",
            "multiple": "false" if s.pg else "0",
            "anonymous": "false" if s.pg else "0",
            "created_at": at("i * 2"),
        },
        POLLS,
    )
    s.fill(
        "poll_option",
        {
            "id": "i",
            "poll_id": "(i - 1) / 4 + 1",
            "position": "(i - 1) % 4",
            "text": "'Option ' || i",
        },
        POLLS * 4,
    )
    del true


def _pipeline(s: Seeder, members: int) -> None:
    """A fifth of the members invited to a job, each with the delivery that carried it, and
    their answers down the funnel (how far each got is independent of the job)."""
    at = s.days_ago
    invited = "i % 5 = 0"
    s.fill(
        "delivery",
        {
            "id": "i / 5",
            "campaign_id": f"(i % {JOBS}) + 1",
            "recipient": "'m:' || i",
            "member_id": "i",
            "platform": s.pick("i", PLATFORMS),
            "state": "'sent'",
            "attempts": "1",
            "sent_at": at("(i * 17) % 100"),
        },
        members,
        invited,
    )

    def stamp(cond: str, days: str) -> str:
        return f"CASE WHEN {cond} THEN {at(days)} END"

    s.fill(
        "invitation",
        {
            "id": "i / 5",
            "job_id": f"(i % {JOBS}) + 1",
            "member_id": "i",
            "source": s.pick(f"(i % {CODES}) + 1", SOURCES),  # the member's first source
            "campaign_id": f"(i % {JOBS}) + 1",
            "delivery_id": "i / 5",
            "status": s.pick("i / 100", ("invited", "opened", "interested", "applied")),
            "invited_at": at("(i * 17) % 100"),
            "opened_at": stamp("(i / 100) % 4 >= 1", "(i * 17) % 100"),
            "clicked_at": stamp("(i / 100) % 8 = 3", "(i * 17) % 100"),
            "interested_at": stamp("(i / 100) % 4 >= 2", "(i * 17) % 100"),
            "responded_at": stamp("(i / 100) % 4 >= 1 AND (i / 100) % 3 = 0", "(i * 17) % 100"),
            "applied_at": stamp("(i / 100) % 4 = 3", "(i * 17) % 100"),
            "interviewing_at": stamp("(i / 100) % 16 = 3", "(i * 17) % 100"),
            "hired_at": stamp("(i / 100) % 64 = 3", "(i * 17) % 100"),
        },
        members,
        invited,
    )
    s.fill(
        "feedback",
        {
            "invitation_id": "i / 5",
            "member_id": "i",
            "reason": s.pick("i / 25", ("not_now_timing", "not_for_me", "salary", "location")),
            "at": at("(i * 17) % 100"),
        },
        members,
        "i % 25 = 0",
    )
    s.fill("interaction", {
        "member_id": "i", "kind": "'invited'", "subject_type": "'job'",
        "subject_id": f"(i % {JOBS}) + 1", "platform": s.pick("i", PLATFORMS),
        "at": at("(i * 17) % 100"),
    }, members, invited)  # fmt: skip


def _events(s: Seeder, members: int) -> None:
    at = s.days_ago
    s.fill(
        "registration",
        {
            "event_id": f"(i % {EVENTS}) + 1",
            "member_id": "i",
            "status": "'registered'",
            "registered_at": at(f"((i % {EVENTS}) + 1) * 3 + 2"),
            "attended_at": f"CASE WHEN i % 20 = 0 THEN {at(f'((i % {EVENTS}) + 1) * 3')} END",
            "checkin_attempts": "0",
        },
        members,
        "i % 10 = 0",
    )
    s.fill("survey_response", {
        "survey_id": f"(i % {EVENTS}) + 1",
        "member_id": "i",
        "scores": s.json(
            "'{\"satisfaction\": ' || ((i / 20) % 5 + 1)"
            " || ', \"recommend\": ' || ((i / 20) % 11) || '}'"
        ),
        "at": at(f"((i % {EVENTS}) + 1) * 3"),
    }, members, "i % 40 = 0")  # fmt: skip


Measured = Callable[[Database], Awaitable[object]]


def reports() -> dict[str, Measured]:
    """Every HR report, as chat, the dashboard and the command line build it: the declared
    reports (their CSV made, as the dashboard's download does), `/members`, and the exports."""
    roost = features()
    settings = Settings()

    def sheet(name: str, **given: str) -> Measured:
        report = roost.reports[name]

        async def build(db: Database) -> object:
            async with db.session() as session:
                options = read_options(given, report.options)
                query = Query(session, settings, NOW, options, roost.kinds)
                return as_csv(await report.build(query))

        return build

    def members(flt: MemberFilter, by: str | None = None) -> Measured:
        async def find(db: Database) -> object:
            async with db.session() as session:
                if by:
                    return await breakdown(session, flt, NOW, by)
                return await search(session, flt, NOW)

        return find

    async def export(db: Database) -> object:
        tool = next(t for t in roost.tools["funnel"].subtools if t.name == "export")
        assert tool.run is not None
        args = argparse.Namespace(job=1, source=None, event=None, output=os.devnull)
        with contextlib.redirect_stderr(io.StringIO()):
            return await tool.run(settings, db, args)

    return {
        "/stats sources": sheet("sources"),
        "/stats content (30 days)": sheet("content", days="30"),
        "/stats content (180 days)": sheet("content", days="180"),
        "/stats events": sheet("events"),
        "/stats polls": sheet("polls"),
        "/stats surveys": sheet("surveys"),
        "/stats funnel": sheet("funnel"),
        "/stats funnel job=1": sheet("funnel", job="1"),
        "/stats funnel source=email": sheet("funnel", source="email"),
        "/stats funnel event=1": sheet("funnel", event="1"),
        "/stats funnel days=30": sheet("funnel", days="30"),
        "/stats jobs": sheet("jobs"),
        "/stats campaigns": sheet("campaigns"),
        "/members function=data active=30d": members(
            MemberFilter(function="data", active_within=timedelta(days=30))
        ),
        "/members source=alumni consent=jobs": members(
            MemberFilter(source="alumni", consent=ConsentKind.JOBS)
        ),
        "/members by seniority": members(MemberFilter(), "seniority"),
        "roost funnel export": export,
        "roost invites export": sheet("codes"),
    }


class Statements:
    """The statements a report runs, with their times: the slowest one's plan is shown."""

    def __init__(self, db: Database) -> None:
        self.seen: list[tuple[float, str, Any]] = []
        self._started: list[float] = []
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(db.engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.seen.append((time.perf_counter() - self._started.pop(), statement, params))


async def plan(db: Database, statement: str, params: Any) -> str:
    explain = "EXPLAIN" if not db.is_sqlite else "EXPLAIN QUERY PLAN"
    async with db.engine.connect() as conn:
        rows = await conn.exec_driver_sql(f"{explain} {statement}", params)
        return "\n".join("    " + " ".join(str(c) for c in row) for row in rows)


async def measure(db: Database, size: int, label: str) -> dict[str, float]:
    """Seed `size` members, then each report's best of two runs (the first warms caches)."""
    started = time.perf_counter()

    def progress(step: str) -> None:
        print(f"\r  {label} {size:>9,}: seeding {step:<14} {time.perf_counter() - started:5.0f} s",
              end="", file=sys.stderr, flush=True)  # fmt: skip

    await populate(db, size, progress)
    print(file=sys.stderr)
    times = {}
    for name, report in reports().items():
        best = float("inf")
        for _ in range(2):
            began = time.perf_counter()
            await report(db)
            best = min(best, time.perf_counter() - began)
        times[name] = best
    return times


async def main(sizes: list[int]) -> None:
    print(f"HR reports on a synthetic community of {', '.join(f'{n:,}' for n in sizes)} members")
    results: dict[str, dict[int, dict[str, float]]] = {}
    plans: list[str] = []
    for kind in ("sqlite", "postgresql"):
        for size in sizes:
            async with sqlite() if kind == "sqlite" else postgres() as db:
                if db is None:
                    print(f"  {kind}: skipped, no server reachable")
                    break
                results.setdefault(kind, {})[size] = await measure(db, size, kind)
                if size == sizes[-1]:
                    plans += await heaviest(db, kind, results[kind][size])
    names = list(reports())
    for kind, by_size in results.items():
        target = TARGET[kind]
        print(f"\n{kind} (target at 1M: under {target} s)")
        print(f"  {'report':<38}" + "".join(f"{n:>11,}" for n in by_size) + "   growth  target")
        for name in names:
            row = [by_size[n][name] for n in by_size]
            grown = _growth(list(by_size), row)
            met = "yes" if max(sizes) < 1_000_000 or row[-1] < target else "NO"
            print(
                f"  {name:<38}" + "".join(f"{t:10.3f}s" for t in row) + f"   {grown:>6}  {met:>6}"
            )
    print("\n" + "\n".join(plans))


def _growth(sizes: list[int], times: list[float]) -> str:
    """How time grew against members, first size to last, as an exponent (1.0: linear)."""
    import math

    if len(sizes) < 2 or min(times) <= 0:
        return "—"
    return f"{math.log(times[-1] / times[0]) / math.log(sizes[-1] / sizes[0]):.2f}"


async def heaviest(db: Database, kind: str, times: dict[str, float]) -> list[str]:
    """The plans of the slowest statements of the two slowest reports."""
    shown = []
    for name in sorted(times, key=times.__getitem__, reverse=True)[:2]:
        statements = Statements(db)
        await reports()[name](db)
        seconds, statement, params = max(statements.seen, key=lambda s: s[0])
        event.remove(db.engine.sync_engine, "before_cursor_execute", statements._before)
        event.remove(db.engine.sync_engine, "after_cursor_execute", statements._after)
        head = f"{kind}: {name}, its slowest statement ({seconds:.3f} s):"
        sql = " ".join(statement.split())
        shown.append(f"{head}\n    {sql}\n{await plan(db, statement, params)}")
    return shown


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="community sizes, comma-separated (or $ROOST_BENCH_MEMBERS)",
    )
    chosen = [int(n) for n in parser.parse_args().sizes.split(",")]
    asyncio.run(main(chosen))
