"""Reports as data. A feature declares a `Report` (its name, what narrows it, how to build it);
built, it is a `Sheet`: rows of the feature's own values and the columns that show them. The
same sheet is rendered for chat (`/stats NAME`: a sentence per row and the chart as a
picture), for the dashboard (a table and the chart as SVG) and as CSV (the dashboard's
download, the command line), so the three never disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.kinds import CampaignKind
from bot.messages import Image, Message
from bot.pages import Tab
from bot.parsing import ident, options, whole
from bot.router import Role, UsageError
from bot.settings import Settings
from storage.db import Session
from storage.spreadsheet import cell

Row = TypeVar("Row")
CHAT_ROWS = 25  # rows a chat message lists; the dashboard and the CSV have them all


@dataclass(frozen=True, slots=True)
class Column(Generic[Row]):
    heading: str
    value: Callable[[Row], object]


@dataclass(frozen=True, slots=True)
class Chart:
    """A picture of a sheet, drawn when it is shown: PNG in chat, SVG on a page."""

    alt: str
    draw: Callable[[bool], Awaitable[bytes]]  # svg?


@dataclass
class Sheet(Generic[Row]):
    title: str
    columns: tuple[Column[Row], ...]
    rows: list[Row]
    sentence: Callable[[Row], str | None]  # a row as chat says it (None: not in chat)
    notes: list[str] = field(default_factory=list)  # under it everywhere; **bold** allowed
    chart: Chart | None = None
    empty: str = "Nothing yet."
    picture: Callable[[Row], tuple[str, str]] | None = None  # a page's (alt, address) per row

    def header(self) -> tuple[str, ...]:
        return tuple(c.heading for c in self.columns)

    def cells(self) -> list[tuple[object, ...]]:
        return [tuple(c.value(row) for c in self.columns) for row in self.rows]

    def pictures(self) -> list[tuple[str, str]]:
        return [self.picture(row) for row in self.rows] if self.picture else []


@dataclass(frozen=True, slots=True)
class Query:
    """What a report is built from: the database, the settings, now, the options HR gave
    (checked against the report's own: `days`, `job`, `source`, `event`), and every campaign
    kind (for reports that list campaigns of all kinds)."""

    session: Session
    settings: Settings
    now: datetime
    options: Mapping[str, str]
    kinds: Mapping[str, CampaignKind] = field(default_factory=dict)

    def days(self, default: int) -> int:
        return int(self.options.get("days", default))


@dataclass(frozen=True, slots=True)
class Report:
    """A report HR reads in chat (`/stats NAME`), on its dashboard tab and as CSV."""

    name: str
    help: str
    build: Callable[[Query], Awaitable[Sheet[Any]]]
    tab: Tab
    options: tuple[str, ...] = ()
    example: str = ""
    role: Role = Role.HR


# What a report can be narrowed by, and how each is said.
OPTIONS = {
    "days": "how many days back",
    "job": "a job's number",
    "source": "where members joined from",
    "event": "an event's number",
}


def read_options(given: str | Mapping[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    """`job=3 days=90` typed in chat, or a page's query: those of `allowed`, checked (a bare
    number is days)."""
    if isinstance(given, str):
        named, words = options(given, allowed)
        for word in words:
            if not (word.isdigit() and "days" in allowed):
                said = ", ".join(f"{k}=" for k in allowed) or "none"
                raise UsageError(f"{word[:30]} is not an option ({said})")
            named["days"] = word
    else:
        named = {k: v.strip() for k, v in given.items() if k in allowed and v.strip()}
    found = {key: value.lower()[:40] for key, value in named.items()}
    for key in ("job", "event"):
        if key in found and ident(found[key]) is None:
            raise UsageError(f"{key}= takes a number")
    if "days" in found:
        found["days"] = str(whole(found["days"], "days=", 1, 3650))
    return found


async def as_message(sheet: Sheet[Any]) -> Message:
    """The sheet for chat: a line per row (the first `CHAT_ROWS`), its notes, its chart."""
    said = [line for line in map(sheet.sentence, sheet.rows) if line is not None]
    lines = said[:CHAT_ROWS]
    if (more := len(said) - CHAT_ROWS) > 0:
        lines.append(f"… and {more} more on the dashboard.")
    body = "\n".join(lines) or sheet.empty
    if sheet.rows and sheet.notes:
        body += "\n\n" + "\n".join(sheet.notes)
    image = None
    if sheet.chart is not None and sheet.rows:
        image = Image(data=await sheet.chart.draw(False), alt=sheet.chart.alt)
    return Message(title=sheet.title, body=body, image=image)


def as_csv(sheet: Sheet[Any]) -> bytes:
    """The sheet as CSV: its columns, every row, no cell a spreadsheet would run."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(sheet.header())
    writer.writerows([cell(value) for value in row] for row in sheet.cells())
    return out.getvalue().encode()


async def as_svg(chart: Chart) -> str:
    """A chart to put inside a page."""
    return inline(await chart.draw(True))


def inline(svg: bytes) -> str:
    """An SVG drawing to put inside a page (no XML declaration within HTML)."""
    return svg.decode().split("?>", 1)[-1]


def share(part: int, whole_: int | None) -> str:
    return f"{part / whole_:.0%}" if whole_ else "—"
