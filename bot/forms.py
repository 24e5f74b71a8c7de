"""Forms everywhere: validation shared by modals and by the conversation that replaces a modal
on platforms without one (Telegram, the console), one question at a time."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.messages import ActionButton, FieldKind, Form, FormField, Message, Style
from bot.parsing import clean, ident, web_link
from bot.payloads import Payload

ANSWER_ACTION = "form.answer"
YES = ("yes", "y", "true", "1", "on")
NO = ("no", "n", "false", "0", "off")


def clean_value(spec: FormField, raw: str | None) -> str:
    """The canonical value of one answer, or ValueError with a sentence for the member."""
    value = clean(raw or "").strip()
    if not value:
        if spec.required and spec.default is None:
            raise ValueError(f"{spec.label} is required.")
        return spec.default or ""
    if len(value) > spec.max_length:
        raise ValueError(f"{spec.label} can be at most {spec.max_length} characters.")
    if spec.kind is FieldKind.YES_NO:
        if value.lower() in YES:
            return "yes"
        if value.lower() in NO:
            return "no"
        raise ValueError(f"Please answer {spec.label} with yes or no.")
    if spec.kind is FieldKind.CHOICE:
        by_name = {choice.lower(): choice for choice in spec.choices}
        if value.lower() in by_name:
            return by_name[value.lower()]
        if (number := ident(value)) and number <= len(spec.choices):
            return spec.choices[number - 1]
        raise ValueError(f"{spec.label} must be one of: {', '.join(spec.choices)}.")
    if spec.kind is FieldKind.LINK and not web_link(value):
        raise ValueError(f"{spec.label} must start with https:// (a web address).")
    return value


def clean_values(form: Form, values: Mapping[str, str]) -> dict[str, str]:
    """Validate a whole submission (from a modal); raises ValueError listing every problem."""
    cleaned, problems = {}, []
    for spec in form.fields:
        try:
            cleaned[spec.name] = clean_value(spec, values.get(spec.name))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    return cleaned


@dataclass(frozen=True, slots=True)
class Answer(Payload, action=ANSWER_ACTION):
    """A choice pressed as a form's answer, as if typed."""

    choice: str


def question(form: Form, index: int, problem: str | None = None) -> Message:
    spec = form.fields[index]
    lines = [problem] if problem else []
    if index == 0 and form.intro and not problem:
        lines.append(form.intro)
    lines.append(f"**{spec.label}**")
    buttons: tuple[ActionButton, ...] = ()
    if spec.kind is FieldKind.CHOICE:
        buttons = tuple(Answer(c).button(c) for c in spec.choices)
    elif spec.kind is FieldKind.YES_NO:
        buttons = (Answer("yes").button("Yes"), Answer("no").button("No"))
    elif spec.default:
        lines.append(f"(now: {spec.default}; send - to keep it)")
    elif not spec.required:
        lines.append("(optional; send - to skip)")
    title = f"{form.title} ({index + 1}/{len(form.fields)})"
    return Message(title=title, body="\n".join(lines), buttons=buttons)


@dataclass
class Conversation:
    """A form asked one question at a time, where the platform has no modals."""

    form: Form
    index: int = 0
    values: dict[str, str] = field(default_factory=dict)

    def answer(self, raw: str) -> Message | dict[str, str]:
        """Take one answer: the next question (or the same one, explained), or all values."""
        spec = self.form.fields[self.index]
        text = "" if raw.strip() == "-" else raw
        try:
            self.values[spec.name] = clean_value(spec, text)
        except ValueError as exc:
            return question(self.form, self.index, str(exc))
        self.index += 1
        if self.index == len(self.form.fields):
            return self.values
        return question(self.form, self.index)

    def state(self) -> dict[str, Any]:
        return {"form": form_state(self.form), "index": self.index, "values": self.values}

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> Conversation:
        return cls(form_of(state["form"]), state["index"], dict(state["values"]))


CONTINUE_ACTION = "form.continue"
PART = "#part"


@dataclass
class ModalSequence:
    """A form longer than a platform's modal allows, asked as several modals in turn."""

    form: Form
    parts: list[Form]
    done: int = 0
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def split(cls, form: Form, size: int) -> ModalSequence:
        chunks = [form.fields[i : i + size] for i in range(0, len(form.fields), size)]
        total = len(chunks)
        parts = [
            Form(
                id=f"{form.id}{PART}{n}",
                title=f"{form.title} ({n + 1}/{total})"[:45],
                fields=chunk,
                submit_label="Next" if n + 1 < total else form.submit_label,
            )
            for n, chunk in enumerate(chunks)
        ]
        return cls(form, parts)

    @property
    def next_part(self) -> Form:
        return self.parts[self.done]

    def answer(self, part_id: str, values: Mapping[str, str]) -> Message | dict[str, str] | None:
        """One part's values: a message offering the next part (or the same one again,
        explained), every value once the last part is in, or None for a part not expected."""
        if part_id != self.next_part.id:
            return None
        try:
            self.values.update(clean_values(self.next_part, values))
        except ValueError as exc:
            return Message(
                f"{exc} Please fill that part in again.",
                buttons=(ActionButton("Try again", CONTINUE_ACTION),),
            )
        self.done += 1
        if self.done == len(self.parts):
            return self.values
        step = f"{self.done + 1}/{len(self.parts)}"
        return Message(
            f"Thanks! One more step ({step}).",
            buttons=(ActionButton(f"Continue ({step})", CONTINUE_ACTION, style=Style.PRIMARY),),
        )

    def state(self) -> dict[str, Any]:
        return {
            "form": form_state(self.form),
            "parts": [form_state(p) for p in self.parts],
            "done": self.done,
            "values": self.values,
        }

    @classmethod
    def of(cls, state: Mapping[str, Any]) -> ModalSequence:
        parts = [form_of(p) for p in state["parts"]]
        return cls(form_of(state["form"]), parts, state["done"], dict(state["values"]))


def form_state(form: Form) -> dict[str, Any]:
    """A form as JSON, to keep it between one answer and the next."""
    return dataclasses.asdict(form)


def form_of(state: Mapping[str, Any]) -> Form:
    fields = tuple(
        FormField(**{**f, "kind": FieldKind(f["kind"]), "choices": tuple(f["choices"])})
        for f in state["fields"]
    )
    return Form(**{**state, "fields": fields})
