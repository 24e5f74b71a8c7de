"""Reading what arrives over HTTP without trusting its size: a body or a download is taken a
chunk at a time and given up on once it passes its limit, whatever its headers said."""

from __future__ import annotations

import aiohttp


async def read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """The whole stream, or None as soon as it is longer than `limit` bytes."""
    chunks, size = [], 0
    async for chunk in stream.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
