"""Telegram Bot API validation against the official method and type list
(`tests/emulators/specs/telegram/api.json`): every request the bot makes and every object the
emulator returns is checked, so the emulator cannot drift from the real API."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from tests.emulators.specs import SPECS

SCALARS = {"Integer", "String", "Boolean", "Float", "True"}


class ApiError(Exception):
    """An error answer, worded as Telegram words it."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


@cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SPECS / "telegram" / "api.json").read_text())
    return data


def has_method(name: str) -> bool:
    return name in spec()["methods"]


def validate_request(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Form values (strings, JSON text, uploaded files) → typed values, or a 400."""
    fields = {f["name"]: f for f in spec()["methods"][method].get("fields", [])}
    for name in params:
        if name not in fields:
            raise bad_request(f'unknown parameter "{name}"')
    typed: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in params or params[name] in ("", None):
            if field["required"]:
                raise bad_request(f"{name} is empty")
            continue
        typed[name] = _from_form(name, field["types"], params[name])
    return typed


def _from_form(name: str, types: list[str], raw: Any) -> Any:
    if isinstance(raw, bytes | bytearray) or hasattr(raw, "file"):
        if "InputFile" in types:
            return raw
        raise bad_request(f"{name}: a file can't be sent here")
    errors = []
    for kind in types:
        try:
            if kind == "String":
                return str(raw)
            if kind == "InputFile":
                continue
            value = raw
            if kind in ("Integer", "Float", "Boolean", "True"):
                value = _scalar_text(kind, str(raw))
            elif isinstance(raw, str):
                value = json.loads(raw)
            check(kind, value, name)
            return value
        except (ValueError, ApiError) as exc:
            errors.append(str(exc))
    raise bad_request(f"{name}: expected {' or '.join(types)} ({errors[0] if errors else ''})")


def _scalar_text(kind: str, text: str) -> Any:
    if kind == "Integer":
        return int(text)
    if kind == "Float":
        return float(text)
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0") and kind == "Boolean":
        return False
    raise ValueError(f"{text!r} is not a {kind}")


def check(kind: str, value: Any, where: str) -> None:
    """Validate a decoded value against a spec type (recursively for objects and arrays)."""
    if kind.startswith("Array of "):
        if not isinstance(value, list):
            raise bad_request(f"{where}: expected an array")
        for i, item in enumerate(value):
            check(kind.removeprefix("Array of "), item, f"{where}[{i}]")
        return
    if kind in SCALARS:
        ok = {
            "Integer": isinstance(value, int) and not isinstance(value, bool),
            "Float": isinstance(value, int | float) and not isinstance(value, bool),
            "String": isinstance(value, str),
            "Boolean": isinstance(value, bool),
            "True": value is True,
        }[kind]
        if not ok:
            raise bad_request(f"{where}: expected {kind}")
        return
    if kind == "InputFile":
        return
    definition = spec()["types"].get(kind)
    if definition is None:
        raise bad_request(f"{where}: unknown type {kind}")
    if definition.get("subtypes"):
        failures = []
        for sub in definition["subtypes"]:
            try:
                check(sub, value, where)
                return
            except ApiError as exc:
                failures.append(exc.description)
        raise bad_request(f"{where}: matches no kind of {kind} ({failures[0]})")
    if not isinstance(value, dict):
        raise bad_request(f"{where}: expected a {kind} object")
    fields = {f["name"]: f for f in definition.get("fields", [])}
    for name in value:
        if name not in fields:
            raise bad_request(f"{where}: {kind} has no field {name}")
    for name, field in fields.items():
        if name not in value:
            if field["required"]:
                raise bad_request(f"{where}: {kind}.{name} is required")
            continue
        failures = []
        for option in field["types"]:
            try:
                check(option, value[name], f"{where}.{name}")
                break
            except ApiError as exc:
                failures.append(exc.description)
        else:
            raise bad_request(failures[0].removeprefix("Bad Request: "))


def build(kind: str, **fields: Any) -> dict[str, Any]:
    """An object the emulator returns: None fields dropped, the rest checked against the spec,
    so python-telegram-bot never sees an object the real API would not send."""
    obj = {("from" if k == "from_" else k): v for k, v in fields.items() if v is not None}
    try:
        check(kind, obj, kind)
    except ApiError as exc:  # the emulator's own bug: fail loudly
        raise AssertionError(f"emulator built an invalid {kind}: {exc.description}") from exc
    return obj
