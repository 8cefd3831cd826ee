"""The hidden state's wire form: one HTML comment line, versioned, compressed, digested.

Pure module: no I/O. `encode` writes `<!-- remediation-bot:state VERSION DIGEST PAYLOAD -->`
(PAYLOAD: base64 of zlib'd compact JSON, which cannot hold `--`, so it cannot end the HTML
comment); `find` reads it back or says why it cannot be trusted; `bounded` keeps it within
a size budget. DIGEST is SHA-256 over PAYLOAD: it detects an edit or a cut, it is no
signature (see `bot.core.syncstate`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.core.metrics.base import Status
from bot.core.results import Outcome
from bot.core.syncstate import Found, Origin, PastCase, PastRun, Start, SyncState

VERSION = 1
TAG = "remediation-bot:state"
_BLOCK = re.compile(r"<!-- remediation-bot:state (\S+) (\S+) (\S*) -->")
DIGEST_CHARS = 16  # hex characters of the SHA-256 digest kept: enough to detect an edit
_OUTCOME_CODES = {Outcome.PASSED: 0, Outcome.FAILED: 1, Outcome.ERROR: 2, Outcome.SKIPPED: 3}
_CODE_OUTCOMES = {code: outcome for outcome, code in _OUTCOME_CODES.items()}


def encode(state: SyncState) -> str:
    """The state as one hidden HTML comment line (base64 of zlib'd JSON, and its digest)."""
    data = json.dumps(_to_json(state), ensure_ascii=False, separators=(",", ":"))
    payload = base64.b64encode(zlib.compress(data.encode("utf-8"), 9)).decode("ascii")
    return f"<!-- {TAG} {VERSION} {_digest(payload)} {payload} -->"


def bounded(state: SyncState, budget: int) -> tuple[SyncState, str]:
    """The state and its line, the oldest runs left out until the line fits `budget` chars."""
    line = encode(state)
    while len(line) > budget and state.runs:
        state = replace(state, runs=state.runs[1:], dropped=True)
        line = encode(state)
    if len(line) > budget:
        raise ValueError(f"a state without runs does not fit {budget} characters")
    return state, line


def find(comment: str | None) -> Found:
    """The state hidden in a summary comment, or why there is none to trust."""
    if comment is None:
        return Found(None, Start.FIRST)
    match = _BLOCK.search(comment)
    if match is None:
        return Found(None, Start.UNREADABLE)
    version, digest, payload = match.groups()
    if version != str(VERSION):
        return Found(None, Start.UNREADABLE)
    if digest != _digest(payload):
        return Found(None, Start.TAMPERED)
    try:
        data = json.loads(zlib.decompress(base64.b64decode(payload, validate=True)))
        return Found(_from_json(data), None)
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, IndexError):
        # The digest matched, yet it does not read: written wrong. Never trusted.
        return Found(None, Start.TAMPERED)


def strip(comment: str) -> str:
    """The comment without its hidden state (what a person reads)."""
    return _BLOCK.sub("", comment).rstrip("\n") + "\n"


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("ascii", errors="replace")).hexdigest()[:DIGEST_CHARS]


def _to_json(state: SyncState) -> dict[str, Any]:
    """Compact JSON: test identities once; a run's cases in order, as id x 4 + outcome."""
    ids: dict[tuple[str, str], int] = {}
    runs = []
    for run in state.runs:
        cases, failures = [], []
        for position, case in enumerate(run.cases):
            index = ids.setdefault((case.owner, case.name), len(ids))
            cases.append(index * 4 + _OUTCOME_CODES[case.outcome])
            if case.message is not None or case.failure_type is not None:
                failures.append([position, case.message, case.failure_type])
        statuses = [[text, status.value] for text, status in run.statuses]
        runs.append([run.key, run.label, run.url, cases, failures, statuses])
    origin = state.origin
    return {
        "o": [origin.key, origin.label, origin.url, origin.start.value],
        "k": list(state.ticked),
        "t": [list(pair) for pair in ids],
        "r": runs,
        "d": state.dropped,
    }


def _from_json(data: Mapping[str, Any]) -> SyncState:
    """The inverse of `_to_json`; malformed input raises KeyError, TypeError or ValueError."""
    names = [(str(owner), str(name)) for owner, name in data["t"]]
    runs = []
    for key, label, url, coded, failures, statuses in data["r"]:
        why = {int(position): (m, t) for position, m, t in failures}
        cases = []
        for position, value in enumerate(coded):
            owner, name = names[int(value) // 4]
            message, failure_type = why.get(position, (None, None))
            outcome = _CODE_OUTCOMES[int(value) % 4]
            cases.append(PastCase(owner, name, outcome, message, failure_type))
        kept = tuple((str(text), Status(value)) for text, value in statuses)
        runs.append(PastRun(str(key), str(label), url, tuple(cases), kept))
    key, label, url, start = data["o"]
    return SyncState(
        origin=Origin(str(key), str(label), url, Start(start)),
        runs=tuple(runs),
        ticked=tuple(str(t) for t in data["k"]),
        dropped=bool(data["d"]),
    )
