"""Reading what arrives over HTTP without trusting its size: a body or a download is taken a
chunk at a time and given up on once it passes its limit, whatever its headers said."""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web


async def read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """The whole stream, or None as soon as it is longer than `limit` bytes."""
    chunks, size = [], 0
    async for chunk in stream.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, limit: int) -> object:
    """A request's JSON body, or None when it is larger than `limit`, not JSON, holds a NUL
    (no text Roost keeps has one, and PostgreSQL refuses it) or is nested deeper than Python
    parses (a bomb of brackets is a bad request, not a crash)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    raw = await read_at_most(request.content, limit)
    if raw is None or b"\\u0000" in raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None
