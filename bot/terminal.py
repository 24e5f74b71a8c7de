"""What a `roost …` command line tool prints: results on standard output (or a file), and
progress and counts on standard error, where they never mix into a CSV being piped."""

from __future__ import annotations

import sys
from pathlib import Path


def progress(count: int) -> None:
    print(f"\r{count:,} rows…", end="", file=sys.stderr, flush=True)


def write_out(output: str | None, data: bytes, count: int) -> None:
    """`data` to the file `output` names, or standard output (none, or `-`)."""
    if output in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
    print(f"{count} rows written to {output or 'standard output'}", file=sys.stderr)


def refuse(problem: str) -> int:
    """One line on standard error, and the exit status of a refused command."""
    print(f"roost: {problem}", file=sys.stderr)
    return 2
