"""`/stats content` and the dashboard's Content tab: delivered, opened and finished per title,
with a hint where a title, not the text, holds an item back."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from bot.pages import Tab
from bot.reports import Column, Query, Report, Sheet
from storage.content import VariantStats, approved_items, item_stats

HINT = "few open it but most who do finish it: try a more interesting title"


class TitleRow(NamedTuple):
    item: int
    numbers: VariantStats
    hint: str


async def build(query: Query) -> Sheet[TitleRow]:
    days, rates = query.days(30), query.settings.content
    rows = []
    for item in await approved_items(query.session):
        for v in await item_stats(query.session, item, query.now - timedelta(days=days)):
            if v.delivered or v.opened:
                low = v.delivered and v.open_rate < rates.low_open_rate
                hint = HINT if low and v.finish_rate >= rates.high_finish_rate else ""
                rows.append(TitleRow(item.id or 0, v, hint))
    return Sheet(
        f"Content, last {days} days",
        (
            Column("item", lambda r: f"#{r.item}"),
            Column("title", lambda r: r.numbers.title),
            Column("delivered", lambda r: r.numbers.delivered),
            Column("opened", lambda r: f"{r.numbers.opened} ({r.numbers.open_rate:.0%})"),
            Column(
                "finished (of opens)",
                lambda r: f"{r.numbers.finished} ({r.numbers.finish_rate:.0%})",
            ),
            Column("hint", lambda r: r.hint),
        ),
        rows,
        sentence=lambda r: (
            f"#{r.item} “{r.numbers.title}”: {r.numbers.delivered} delivered, "
            f"{r.numbers.opened} opened ({r.numbers.open_rate:.0%}), {r.numbers.finished} "
            f"finished ({r.numbers.finish_rate:.0%} of opens)"
            + (f" — **hint:** {r.hint}." if r.hint else "")
        ),
        empty="Nothing was delivered in this period.",
    )


REPORT = Report(
    "content",
    "Delivered, opened and finished per title, with the hint.",
    build,
    Tab("content", "Content", 20),
    options=("days",),
    example="30",
)
