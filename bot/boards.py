"""Public job boards of applicant tracking systems, read as their APIs document them: the
Greenhouse Job Board API (`GET /v1/boards/{board}/jobs?content=true`) and the Lever Postings
API (`GET /v0/postings/{site}?mode=json`). What comes back is a `Posting` per open job."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.streams import read_at_most

log = logging.getLogger("roost.jobs")


@dataclass(frozen=True, slots=True)
class Posting:
    external_id: str  # `greenhouse:4012345`, `lever:5c3d…`: unique across boards
    title: str
    department: str
    location: str
    apply_url: str


class BoardError(Exception):
    """A board could not be read (unreachable, refused, or not what its API returns). Its
    message is Roost's sentence for HR; the library's own words go to the log only."""


LARGEST = 20 * 1024 * 1024  # bytes: a board of a few thousand postings is a few megabytes


async def greenhouse(http: aiohttp.ClientSession, base: str, board: str) -> list[Posting]:
    data = await _get(http, f"{base.rstrip('/')}/v1/boards/{board}/jobs", {"content": "true"})
    try:
        return [
            Posting(
                external_id=f"greenhouse:{job['id']}",
                title=str(job["title"])[:120],
                department=((job.get("departments") or [{}])[0].get("name") or ""),
                location=str((job.get("location") or {}).get("name") or "")[:100],
                apply_url=str(job["absolute_url"]),
            )
            for job in data["jobs"]
        ]
    except (KeyError, TypeError, IndexError) as exc:
        raise BoardError(f"the board {board} answered with something not a job board") from exc


async def lever(http: aiohttp.ClientSession, base: str, site: str) -> list[Posting]:
    data = await _get(http, f"{base.rstrip('/')}/v0/postings/{site}", {"mode": "json"})
    try:
        return [
            Posting(
                external_id=f"lever:{job['id']}",
                title=str(job["text"])[:120],
                department=str(
                    (job.get("categories") or {}).get("team")
                    or (job.get("categories") or {}).get("department")
                    or ""
                ),
                location=str((job.get("categories") or {}).get("location") or "")[:100],
                apply_url=str(job.get("applyUrl") or job["hostedUrl"]),
            )
            for job in data
        ]
    except (KeyError, TypeError) as exc:
        raise BoardError(f"the site {site} answered with something not a job board") from exc


async def _get(http: aiohttp.ClientSession, url: str, params: dict[str, str]) -> Any:
    try:
        async with http.get(url, params=params, timeout=aiohttp.ClientTimeout(total=20)) as reply:
            if reply.status != 200:
                raise BoardError(f"it answered with HTTP status {reply.status}")
            body = await read_at_most(reply.content, LARGEST)
            if body is None:
                raise BoardError("its answer was larger than a job board can be")
            return json.loads(body)
    except TimeoutError as exc:
        raise BoardError("it did not answer within 20 seconds") from exc
    except aiohttp.ClientError as exc:
        log.warning("job board at %s not reached: %s", url, exc)
        raise BoardError("it could not be reached") from exc
    except (ValueError, RecursionError) as exc:
        raise BoardError("its answer was not JSON") from exc


async def read_boards(
    greenhouse_board: str, lever_site: str, *, greenhouse_api: str, lever_api: str
) -> dict[str, list[Posting] | BoardError]:
    """Every configured board's postings (or why it could not be read), by id prefix."""
    found: dict[str, list[Posting] | BoardError] = {}
    async with aiohttp.ClientSession() as http:
        if greenhouse_board:
            try:
                found["greenhouse:"] = await greenhouse(http, greenhouse_api, greenhouse_board)
            except BoardError as exc:
                found["greenhouse:"] = exc
        if lever_site:
            try:
                found["lever:"] = await lever(http, lever_api, lever_site)
            except BoardError as exc:
                found["lever:"] = exc
    return found


def function_of(department: str, functions: tuple[str, ...]) -> str:
    """Roost's function for a board's department (`Data Science` → data), else other."""
    name = department.lower()
    for function in functions:
        if name == function or function in name.split() or name.startswith(function):
            return function
    return "other" if "other" in functions else functions[-1]
