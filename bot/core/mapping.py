"""Failures -> phases, and failures -> clusters of one root cause.

Pure module: no I/O. A failure goes, in order, to: the phase an explicit rule names; a
phase that names the test; the phase whose text shares the failure's identifiers and rare
words; else it is unplanned.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from bot.core import testnames
from bot.core.metrics.base import stem
from bot.core.plan import Phase
from bot.core.results import CaseResult

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b"
)
_HEX = re.compile(r"\b0x[0-9a-f]+\b|\b[0-9a-f]{12,}\b", re.I)
_TEMP_PATH = re.compile(r"(?:/tmp|/var/folders|/private/var|C:\\Users\\[^\\]+\\AppData)[^\s'\"]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[a-z0-9][A-Z]")
# Words every test failure uses: they say nothing about which phase owns it.
_GENERIC = frozenset(
    (
        "the and for not but with from that this into should have has had was were are "
        "test tests testing error errors fail failed failure failing assert assertion "
        "assertionerror expected actual got none true false object attribute value self "
        "line file call called raise raised exception traceback most recent last "
        "def return async await class none null undefined int str type typeerror "
        "valueerror fix fixes add missing issue issues run runs properly instead per"
    ).split()
)
MIN_SCORE = 2.0


@dataclass(frozen=True, slots=True)
class MapRule:
    """A maintainer's decision: tests matching `pattern` belong to phase `phase`."""

    pattern: str
    phase: int


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a failure goes and why."""

    phase: int | None
    reason: str


def signature(case: CaseResult) -> str:
    """The failure's root cause with ids, numbers, timestamps and temp paths taken out."""
    text = (case.message or case.failure_type or case.outcome.value).strip().split("\n")[0]
    for pattern, placeholder in (
        (_UUID, "<uuid>"),
        (_TIMESTAMP, "<time>"),
        (_TEMP_PATH, "<tmp>"),
        (_HEX, "<hex>"),
        (_NUMBER, "<n>"),
    ):
        text = pattern.sub(placeholder, text)
    return f"{case.failure_type or ''}: {text[:300]}".strip(": ")


def _tokens(text: str) -> set[str]:
    """Identifiers whole (`create_agent_instance`) plus their words, stemmed and lowered."""
    found: set[str] = set()
    for word in _WORD.findall(text):
        lowered = word.lower()
        if "_" in word.strip("_") or _CAMEL.search(word):
            found.add(lowered.strip("_"))
        for part in re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", word):
            part = part.lower()
            if len(part) >= 3 and part not in _GENERIC and not part.isdigit():
                found.add(stem(part))
    return found


def _is_identifier(token: str) -> bool:
    return "_" in token


@dataclass(frozen=True, slots=True)
class PhaseIndex:
    """Phase vocabularies with rarity weights, built once per evaluation."""

    phases: tuple[Phase, ...]
    vocabularies: tuple[frozenset[str], ...]
    weights: dict[str, float]

    @classmethod
    def build(cls, phases: Sequence[Phase]) -> PhaseIndex:
        """Weigh each word by how few phases use it (a word in every phase weighs least)."""
        vocabularies = tuple(
            frozenset(_tokens(" ".join([p.title, p.text, *p.identifiers, *p.files])))
            for p in phases
        )
        counts: dict[str, int] = {}
        for vocabulary in vocabularies:
            for token in vocabulary:
                counts[token] = counts.get(token, 0) + 1
        total = max(len(phases), 1)
        weights = {
            token: math.log(1 + total / count) * (2.0 if _is_identifier(token) else 1.0)
            for token, count in counts.items()
        }
        return cls(tuple(phases), vocabularies, weights)


def place(case: CaseResult, index: PhaseIndex, rules: Iterable[MapRule] = ()) -> Placement:
    """Decide which phase a failing case belongs to."""
    for rule in rules:
        if _rule_matches(rule.pattern, case):
            return Placement(rule.phase, f"mapped by rule `{rule.pattern}`")
    for phase in index.phases:
        if any(testnames.matches(name, case) for name in phase.tests):
            return Placement(phase.number, "the phase names this test")
    failure = _tokens(
        " ".join(
            filter(None, (case.message, case.failure_type, case.details and case.details[:2000]))
        )
    ) | _tokens(case.name)
    best: tuple[float, Phase | None, list[str]] = (0.0, None, [])
    for phase, vocabulary in zip(index.phases, index.vocabularies, strict=True):
        shared = sorted(failure & vocabulary, key=lambda t: -index.weights[t])
        score = sum(index.weights[t] for t in shared)
        if score > best[0]:
            best = (score, phase, shared)
    score, owner, shared = best
    if owner is None or score < MIN_SCORE:
        return Placement(None, "no phase covers it")
    return Placement(owner.number, "shares " + ", ".join(f"`{t}`" for t in shared[:4]))


def _rule_matches(pattern: str, case: CaseResult) -> bool:
    """Glob patterns over the test id or name; a plain selector uses test-name matching."""
    if any(ch in pattern for ch in "*?["):
        return any(fnmatchcase(value, pattern) for value in (case.test_id, case.name))
    return testnames.matches(pattern, case)


def is_ignored(case: CaseResult, patterns: Iterable[str]) -> bool:
    """Whether a maintainer asked to ignore this test (excluded from metrics, still shown)."""
    return any(_rule_matches(pattern, case) for pattern in patterns)
