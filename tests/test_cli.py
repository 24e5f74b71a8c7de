"""`roost` as an operator runs it: a real process, a scripted console session, real exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import select

from storage.db import Database, alembic_config
from storage.models import Consent, Label, Member

SCRIPT = """\
/join
engineering
3
Berlin
-
yes
yes
/profile location Hamburg
STOP
:as hr
/label @guest alumni
/members label=alumni
:as guest
/members
/mydata
/forgetme
1
"""


def roost(
    args: list[str], tmp_path: Path, db_url: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "roost.toml"
    config.write_text('[web]\nport = 0\n[roles]\nhr = ["console:hr"]\n')
    env = {**os.environ, "ROOST_DATABASE_URL": db_url, "ROOST_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
async def test_a_scripted_console_session_end_to_end(tmp_path: Path, db_url: str) -> None:
    done = roost(["run"], tmp_path, db_url, SCRIPT)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "how we treat your data" in out
    assert "Welcome aboard!" in out and "Location: Hamburg" in out
    assert "you won't get any more messages from us" in out
    assert "Labelled #1 Guest: alumni" in out and "1 member match" in out
    assert "Sorry, /members is only for the hr team." in out
    export = json.loads(out[out.index('{\n  "member"') : out.index("\n[DM to guest]\n== Erase")])
    assert export["member"][0]["location"] == "Hamburg"
    assert "Your data has been erased." in out
    assert "Traceback" not in done.stderr and "HTTP server on http://127.0.0.1:" in done.stderr

    db = Database(db_url)
    try:
        async with db.session() as session:
            guest = await session.get(Member, 1)
            assert guest is not None and guest.erased_at is not None and guest.location is None
            assert list(await session.exec(select(Consent).where(Consent.member_id == 1))) == []
            assert list(await session.exec(select(Label))) == []
    finally:
        await db.dispose()


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    done = roost(["db", "upgrade"], tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert done.returncode == 0, done.stderr
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"Database is at revision {head}." in done.stdout


def run_with(config: Path) -> subprocess.CompletedProcess[str]:
    """`roost run` with this file alone (no database URL from the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=config.parent,
    )


def test_a_bad_configuration_stops_roost_before_it_starts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[web]\nport = 'http'\n")
    done = run_with(bad)
    assert done.returncode == 2
    assert "bad configuration, not starting" in done.stderr
    assert f"{bad}: [web] web.port: input should be a valid integer" in done.stderr
    assert not (tmp_path / "roost.db").exists()


def test_invite_codes_and_the_funnel_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'codes.db'}"
    qr = tmp_path / "fair.png"
    made = roost(
        ["invites", "create", "job-fair", "campaign=berlin", "code=FAIR26", "--qr", str(qr)],
        tmp_path,
        url,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("FAIR26\tjob-fair\tlanding http://127.0.0.1:8080/i/FAIR26")
    assert qr.read_bytes().startswith(b"\x89PNG")
    again = roost(["invites", "create", "job-fair", "code=FAIR26"], tmp_path, url)
    assert again.returncode == 2 and "the code FAIR26 exists already" in again.stderr

    listed = roost(["invites", "list"], tmp_path, url)
    assert listed.stdout == "FAIR26\tjob-fair\t0 joins\tusable\n"
    out = tmp_path / "codes.csv"
    exported = roost(["invites", "export", "-o", str(out)], tmp_path, url)
    assert "1 rows written to" in exported.stderr
    assert out.read_text().splitlines()[1].startswith("FAIR26,job-fair,berlin,0,0,0,")
    funnel = roost(["funnel", "export"], tmp_path, url)
    assert funnel.returncode == 0 and "0 rows written to standard output" in funnel.stderr
    assert funnel.stdout.startswith("invitation,job,job_title,member,source,status,delivery,")


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "roost.toml"
        config.write_text(f"[web]\nport = {port}\n")
        done = run_with(config)
    assert done.returncode == 2
    assert (
        f"roost: cannot listen on 127.0.0.1:{port} ([web] host and port): the port is in use"
        in (done.stderr)
    )
    assert "Traceback" not in done.stderr


def test_a_job_number_no_table_holds_is_refused_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'huge.db'}"
    done = roost(["funnel", "export", "--job", "99999999999999999999999"], tmp_path, url)
    assert done.returncode == 2 and "is not a job number" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_code_made_from_the_command_line_leaves_no_file_unasked(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'codes.db'}"
    made = roost(["invites", "create", "website", "code=WEB26"], tmp_path, url)
    assert made.returncode == 0 and made.stdout.startswith("WEB26\twebsite\tlanding ")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".png") == []


def test_a_file_that_cannot_be_written_is_one_clear_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'out.db'}"
    for tool in (["invites", "export"], ["funnel", "export"]):
        done = roost([*tool, "-o", str(tmp_path / "no" / "such" / "x.csv")], tmp_path, url)
        assert done.returncode == 2 and "cannot write" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
