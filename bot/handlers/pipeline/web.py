"""The applicant tracking system reports a candidate's progress: `POST /api/applications`
with the `roost_ref` our Apply link carried (or the job and member numbers) and a status."""

from __future__ import annotations

import hmac

from aiohttp import web

from bot.pages import Site, WebRoute
from bot.streams import read_json
from storage.pipeline import PROGRESS, advance, find_invitation

API_BODY = 64 * 1024  # bytes: an application's progress is a few hundred


async def application(request: web.Request, site: Site) -> web.Response:
    token = site.settings.pipeline.ats_token
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {token.get_secret_value()}" if token else None
    if expected is None or not hmac.compare_digest(given.encode(), expected.encode()):
        return _error(401, "invalid token")
    body = await read_json(request, API_BODY)
    if not isinstance(body, dict) or body.get("status") not in PROGRESS:
        return _error(
            400, f"send JSON with status ({', '.join(PROGRESS)}) and ref, or job_id and member_id"
        )
    async with site.db.session() as session:
        invitation = await find_invitation(
            session, body.get("ref"), body.get("job_id"), body.get("member_id")
        )
        if invitation is None:
            return _error(404, "no invitation matches")
        changed = advance(invitation, body["status"], site.clock.now())
        await session.commit()
        return web.json_response(
            {"ok": True, "invitation": invitation.id, "status": invitation.status,
             "changed": changed}
        )  # fmt: skip


def _error(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


ROUTES = (WebRoute("POST", "/api/applications", application),)
