"""Where the official API specifications are: `shared/specs` beside the project's checkout (as
on every developer machine and in CI), or under $ROOST_SHARED."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def specs_dir() -> Path:
    shared = os.environ.get("ROOST_SHARED") or Path(__file__).resolve().parents[3] / "shared"
    path = Path(shared).resolve() / "specs"
    if not path.is_dir():
        raise RuntimeError(
            f"the official API specifications are not at {path}: "
            "put shared/ beside the checkout or set ROOST_SHARED"
        )
    return path
