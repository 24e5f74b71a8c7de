"""The core boundary is kept by the tools: lint fails when the core imports a platform
library, a feature writes a query of its own, or an adapter imports the database
(bot/ruff.toml, bot/handlers/ruff.toml, bot/adapters/ruff.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint(path: str, source: str) -> str:
    """What ruff says of `source` were it the file at `path` (nothing is written)."""
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return done.stdout


@pytest.mark.parametrize(
    ("path", "source", "banned"),
    [
        ("bot/handlers/probe.py", "import discord\n", "discord"),
        ("bot/handlers/probe.py", "from sqlmodel import select\n", "sqlmodel"),
        ("bot/handlers/probe.py", "from sqlalchemy import func\n", "sqlalchemy"),
        ("bot/handlers/probe.py", "from telegram import Update\n", "telegram"),
        ("bot/scheduler/probe.py", "from slack_sdk import WebClient\n", "slack_sdk"),
        ("bot/probe.py", "import slack_bolt\n", "slack_bolt"),
        ("bot/adapters/probe.py", "from storage.models import Member\n", "storage"),
        ("bot/adapters/slack/probe.py", "from sqlmodel import select\n", "sqlmodel"),
        ("bot/adapters/telegram/probe.py", "import bot.handlers.polls\n", "bot.handlers"),
    ],
)
def test_lint_refuses_an_import_across_the_boundary(path: str, source: str, banned: str) -> None:
    assert f"`{banned}` is banned" in lint(path, source)


def test_each_side_may_import_its_own() -> None:
    assert "banned" not in lint("bot/adapters/discord/probe.py", "import discord\n")
    assert "banned" not in lint("bot/handlers/probe.py", "from storage.models import Member\n")
