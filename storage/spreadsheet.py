"""What a spreadsheet must not take for a formula.

A CSV cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
when HR opens the file in a spreadsheet (`=HYPERLINK(…)` typed as a location, a job title
from a job board): every free-text cell Roost exports goes through `cell` (or `sql_cell` where
the database writes the CSV itself), which keeps the text and puts a `'` before it, as OWASP
advises.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, literal_column

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value as a spreadsheet should show it: text that would start a formula is quoted."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def sql_cell(column: Any) -> ColumnElement[Any]:
    """`cell` in SQL, for a CSV the database writes itself (PostgreSQL's COPY): constants, not
    parameters, in the statement's text."""
    first = func.substr(column, 1, 1)
    triggers: list[Any] = [literal_column(f"'{t}'") for t in TRIGGERS]  # none of them is a quote
    return case((first.in_(triggers), literal_column("''''").concat(column)), else_=column)
