"""Local fakes of two applicant tracking systems' public job boards, answering as their APIs
document: Greenhouse's Job Board API (`GET /v1/boards/{board}/jobs`, `content=true` adding
departments and the description) and Lever's Postings API (`GET /v0/postings/{site}`,
`mode=json`). An unknown board is a 404, as there."""

from __future__ import annotations

from typing import Any

from aiohttp import web


class JobBoards:
    def __init__(self) -> None:
        self.greenhouse: dict[str, list[dict[str, Any]]] = {}  # board token → jobs
        self.lever: dict[str, list[dict[str, Any]]] = {}  # site → postings
        self.requests: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/v1/boards/{board}/jobs", self._greenhouse)
        app.router.add_get("/v0/postings/{site}", self._lever)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _greenhouse(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.rel_url))
        jobs = self.greenhouse.get(request.match_info["board"])
        if jobs is None:
            return web.json_response({"status": 404, "error": "Job not found"}, status=404)
        content = request.query.get("content") == "true"
        shown = [
            {k: v for k, v in job.items() if content or k not in ("departments", "content")}
            for job in jobs
        ]
        return web.json_response({"jobs": shown, "meta": {"total": len(shown)}})

    async def _lever(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.rel_url))
        postings = self.lever.get(request.match_info["site"])
        if postings is None:
            return web.json_response({"ok": False, "error": "Document not found"}, status=404)
        if request.query.get("mode") != "json":
            return web.Response(text="<html>job list</html>", content_type="text/html")
        return web.json_response(postings)


def greenhouse_job(number: int, title: str, department: str, location: str) -> dict[str, Any]:
    return {
        "id": number,
        "internal_job_id": number + 1000,
        "title": title,
        "updated_at": "2026-11-20T10:00:00-05:00",
        "requisition_id": f"R{number}",
        "location": {"name": location},
        "absolute_url": f"https://boards.greenhouse.io/acme/jobs/{number}",
        "metadata": None,
        "content": "&lt;p&gt;About the role&lt;/p&gt;",
        "departments": [{"id": number + 7, "name": department, "child_ids": [], "parent_id": None}],
        "offices": [{"id": 1, "name": location, "location": location, "child_ids": []}],
    }


def lever_posting(ident: str, text: str, team: str, location: str) -> dict[str, Any]:
    return {
        "id": ident,
        "text": text,
        "categories": {"commitment": "Full-time", "location": location, "team": team},
        "createdAt": 1763640000000,
        "descriptionPlain": "About the role",
        "hostedUrl": f"https://jobs.lever.co/acme/{ident}",
        "applyUrl": f"https://jobs.lever.co/acme/{ident}/apply",
        "lists": [],
        "additional": "",
    }
