"""Discord REST validation against the official OpenAPI 3.1 description: every request body
the bot sends and every response the emulator returns is checked against its operation's
schema (OpenAPI 3.1 schemas are JSON Schema 2020-12)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.emulators.specs import SPECS

BASE = "urn:discord-openapi"


class DiscordError(Exception):
    """An error answer as Discord shapes it: `{"code", "message"}` plus an HTTP status."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


@cache
def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPECS / "discord" / "openapi.json").read_text())
    return data


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT202012.create_resource(_doc())
    registry: Registry[Any] = Registry().with_resource(BASE, resource)
    return registry


@cache
def _validator(pointer: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"{BASE}#{pointer}"}, registry=_registry())


@cache
def _routes() -> list[tuple[re.Pattern[str], str]]:
    routes = []
    for template in _doc()["paths"]:
        pattern = re.sub(
            r"\{[^}]+\}", r"[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        )
        routes.append((re.compile(f"^{pattern}$"), template))
    # literal segments win over parameters (/users/@me before /users/{user_id})
    routes.sort(key=lambda r: r[1].count("{"))
    return routes


def operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec's path template and operation for a request, or None when it has none."""
    for pattern, template in _routes():
        if pattern.match(path):
            op = _doc()["paths"][template].get(method.lower())
            return (template, op) if op else None
    return None


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validate_request(template: str, method: str, body: Any) -> None:
    """400 Invalid Form Body, as Discord answers, when the JSON body breaks the schema."""
    op = _doc()["paths"][template][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return
    if body is None:
        if op["requestBody"].get("required"):
            raise DiscordError(400, 50109, "The request body contains invalid JSON.")
        return
    pointer = _pointer(
        "paths", template, method.lower(), "requestBody", "content", "application/json", "schema"
    )
    errors = sorted(_validator(pointer).iter_errors(_as_sent(body)), key=lambda e: list(e.path))
    if errors:
        where = ".".join(str(p) for p in errors[0].absolute_path) or "_root"
        raise DiscordError(
            400,
            50035,
            "Invalid Form Body",
            {
                where: {
                    "_errors": [{"code": "BASE_TYPE_INVALID", "message": errors[0].message[:200]}]
                }
            },
        )


def _as_sent(value: Any, key: str = "") -> Any:
    """Discord takes snowflakes as integers too (discord.py sends them so, and numbers upload
    placeholders `attachments[n].id` from 0), though the spec types them as strings: read
    integer ids the way Discord does, and nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and (value >= 2**32 or key == "id" or key.endswith("_id")):
        return str(value)
    if isinstance(value, list):
        return [_as_sent(v, key) for v in value]
    if isinstance(value, dict):
        return {k: _as_sent(v, k) for k, v in value.items()}
    return value


def validate_response(template: str, method: str, status: int, body: Any) -> None:
    """The emulator's own answers must match the spec; a mismatch is the emulator's bug."""
    op = _doc()["paths"][template][method.lower()]
    response = op.get("responses", {}).get(str(status))
    if response is None or "content" not in response or body is None:
        return
    pointer = _pointer(
        "paths",
        template,
        method.lower(),
        "responses",
        str(status),
        "content",
        "application/json",
        "schema",
    )
    error = jsonschema.exceptions.best_match(_validator(pointer).iter_errors(body))
    if error is not None:
        raise AssertionError(
            f"emulator answered {method} {template} off-spec: {error.message[:300]} "
            f"at {list(error.absolute_path)}"
        )


def check_object(schema: str, value: Any) -> None:
    """Gateway payloads are not in the REST spec; their objects (users, members, messages,
    channels) are, and are checked against the same component schemas."""
    error = jsonschema.exceptions.best_match(
        _validator(f"/components/schemas/{schema}").iter_errors(value)
    )
    if error is not None:
        where = list(error.absolute_path)
        raise AssertionError(
            f"emulator built an invalid {schema}: {error.message[:300]} at {where}"
        )
