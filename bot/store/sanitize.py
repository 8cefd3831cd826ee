"""NUL characters out of every text the store writes: PostgreSQL refuses them in text and JSON.

Both backends store the same thing: each U+0000 becomes U+FFFD, the replacement character.
`install` puts the cleaning on an engine (every statement's parameters, and its JSON
serializer); the two writers that bypass SQLAlchemy call `clean` themselves (the inbox) or
need not (case rows come from XML, which cannot carry a NUL).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, event

NUL = "\x00"
REPLACEMENT = "\ufffd"
# Bulk case-row inserts: JUnit XML cannot contain U+0000 (not even as `&#0;`), so the rows
# the reader makes carry none, and scanning 5,000-row batches would cost a third of the insert.
_BULK_CASE_INSERT = "INSERT INTO case_results"


def clean(value: Any) -> Any:
    """`value` with NUL replaced in every string, through dicts, lists and tuples."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean(v) for v in value)
    return value


def dumps(value: Any) -> str:
    """JSON text for a JSON column, cleaned first (PostgreSQL refuses `\\u0000` in JSON)."""
    return json.dumps(clean(value))


def install(engine: Engine) -> None:
    """Clean the parameters of every statement the engine runs."""
    event.listen(engine, "before_cursor_execute", _clean_parameters, retval=True)


def _clean_parameters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    if statement.startswith(_BULK_CASE_INSERT):
        return statement, parameters
    return statement, clean(parameters)
