"""Images Roost draws: QR codes for invite codes (posters, letters) and charts for HR.

Both libraries load lazily (matplotlib takes a moment) and draw off the event loop.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

BLUE, GREY, RED = "#2563eb", "#94a3b8", "#dc2626"


async def qr_png(url: str) -> bytes:
    def draw() -> bytes:
        import segno

        out = io.BytesIO()
        segno.make(url, error="m").save(out, kind="png", scale=10, border=2)
        return out.getvalue()

    return await asyncio.to_thread(draw)


async def funnel_png(
    title: str,
    steps: Sequence[tuple[str, int]],
    worst: tuple[str, str] | None,
    *,
    svg: bool = False,
) -> bytes:
    """Horizontal bars from first step to last; the bar after the bottleneck in red."""

    def draw() -> bytes:
        figure, axes = _figure(len(steps))
        names = [name for name, _ in steps][::-1]
        counts = [count for _, count in steps][::-1]
        colours = [RED if worst and name == worst[1] else BLUE for name in names]
        bars = axes.barh(names, counts, color=colours)
        axes.bar_label(bars, padding=3)
        axes.set_title(title, loc="left", fontsize=12)
        axes.set_xlim(0, max([*counts, 1]) * 1.15)
        return _png(figure, "svg" if svg else "png")

    return await asyncio.to_thread(draw)


async def grouped_png(
    title: str,
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    svg: bool = False,
) -> bytes:
    """One cluster of bars per group (a source), one bar per series (joined, active, …); as
    SVG for a web page."""

    def draw() -> bytes:
        figure, axes = _figure(len(groups), wide=True)
        width = 0.8 / max(len(series), 1)
        palette = (BLUE, "#16a34a", "#f59e0b", RED)
        for i, (label, values) in enumerate(series):
            positions = [g + i * width for g in range(len(groups))]
            axes.bar(positions, values, width, label=label, color=palette[i % len(palette)])
        axes.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], groups)
        axes.tick_params(axis="x", labelrotation=30)
        axes.legend(frameon=False)
        axes.set_title(title, loc="left", fontsize=12)
        return _png(figure, "svg" if svg else "png")

    return await asyncio.to_thread(draw)


def _figure(rows: int, *, wide: bool = False):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure  # the object API: no pyplot state, thread-safe

    figure = Figure(figsize=(8 if wide else 7, max(2.5, 0.5 * rows + 1)), dpi=100)
    axes = figure.add_subplot()
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def _png(figure, fmt: str = "png") -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format=fmt)
    return out.getvalue()
