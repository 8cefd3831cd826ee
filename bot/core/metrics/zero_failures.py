"""The zero-failures metric ("zero deadlock errors"): its reading, rule and judge. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics import scopes
from bot.core.metrics.base import (
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    identity_words,
    stem,
    word_set,
)
from bot.core.results import CaseResult, Outcome
from bot.errors import RuleError

KIND = MetricKind.ZERO_FAILURES
RULE_WORD = "zero"
RULE_ARGUMENTS = "WORD..."  # no failure mentions these words

_ZERO = re.compile(r"^\s*(?:zero|no|0)\s+(.+)$", re.I)
_FAIL_BECAUSE = re.compile(
    r"^\W*(?:no|zero|0)\s+tests?\s+fail\w*\s+(?:due to|because of|from|with)\s+(.+)$", re.I
)
_FAILURE_NOUN = r"(?:errors?|failures?|exceptions?|crash\w*|timeouts?|panics?)"
# "(0 marker errors)", "runs without import errors", "**Syntax errors:** 68 → 0".
_ZERO_ANYWHERE = re.compile(rf"\(\s*0\s+([^()]*?{_FAILURE_NOUN})\s*\)", re.I)
_WITHOUT = re.compile(rf"\bwithout\s+(?:any\s+)?([\w\s-]*?{_FAILURE_NOUN})\b", re.I)
_COUNTED_TO_ZERO = re.compile(
    rf"^\s*([\w\s-]*?{_FAILURE_NOUN})\s*:\s*(?:\d+\s*(?:→|->|=>|to)\s*)?0\b", re.I
)
# "Timeout issues fixed", "Test timeouts resolved", "Fix all "multiple elements" errors",
# "Task 3.1: AssertionError fixes (44 failures)": that kind of failure is gone.
_KIND_FIXED = re.compile(
    r"^\W*(?:\w+ \d+(?:\.\d+)*\s*:\s*)?"
    rf"((?:[A-Za-z\"'][\w\"'-]*\s+){{0,3}}?(?:{_FAILURE_NOUN}|issues?)|"
    r"\w+(?:Error|Exception))\s+(?:are\s+|now\s+)?(?:fixed|resolved|eliminated|gone|fix(?:es)?\b)"
    r"(?:\s*\([^)]*\))?\W*$",
    re.I,
)
_FIX_ALL_KIND = re.compile(rf"^\W*fix\s+all\s+((?:[\w\"'-]+\s+){{0,3}}?{_FAILURE_NOUN})\W*$", re.I)
# "... in `tests/integration/`": the folder or file the item is about.
_IN_PATH = re.compile(r"\b(?:in|under|within)\s+`([\w.-]+/[\w./-]*|[\w./-]+\.\w+)`")
# "no TypeError in any circuit breaker test": the tests the item is about.
_WITHIN = re.compile(
    r"\bin\s+(?:any|all|every|the)?\s*([\w\s-]+?)\s+(?:tests?|specs?|suites?)\b", re.I
)
_FAILING = (Outcome.FAILED, Outcome.ERROR)
_COLLECT_ONLY = re.compile(
    r"`((?:[^`]*\s)?pytest\s[^`]*--(?:collect-only|co)\b[^`]*)`\s+"
    r"(?:shows|reports|gives|has|with|returns)?\s*(?:no|zero|0)\s+errors?\W*$",
    re.I,
)
# "Tests collect successfully", "All tests collect without errors": no collection failure.
_COLLECTS = re.compile(
    r"^\W*(?:all\s+)?(?:the\s+)?(?:tests?|pytest)\s+(?:collect(?:s|ion)?)\s+"
    r"(?:succeeds\s*|successfully|cleanly|without\s+(?:any\s+)?errors?)\W*$",
    re.I,
)
# What a run can report failing: failure nouns, exception types, and the usual suspects.
_FAILURE_KIND = re.compile(
    rf"{_FAILURE_NOUN}|\w+(?:Error|Exception)\b|\b(?:deadlocks?|hangs?|leaks?|flakes?|"
    r"segfaults?|regressions?|violations?|race conditions?)\b",
    re.I,
)
_STOP_WORDS = frozenset(
    (
        "a an the of in on for to with under during while when at by from and or any all "
        "errors error failures failure issues issue problems problem cases case tests test "
        "concurrent load remaining new more other about mentioning"
    ).split()
)


def recognise(text: str) -> Metric | None:
    """The metric of an item that asks for zero (or no) failures of some kind, else None."""
    if _COLLECTS.search(text):
        return Metric(KIND, words=("collection",))  # pytest reports "collection failure"
    collect_only = _COLLECT_ONLY.search(text)
    if collect_only is not None:  # "`pytest tests/ --collect-only` shows no errors"
        paths = [w for w in collect_only.group(1).split() if scopes.is_test_path(w)]
        selector = scopes.folder_or_file(paths[0]) if len(paths) == 1 else None
        return Metric(KIND, words=("collection",), selector=selector)
    because = _FAIL_BECAUSE.match(text)  # "No tests fail due to `None` fixture values"
    match = (
        because
        or _ZERO.match(text)
        or _ZERO_ANYWHERE.search(text)
        or _WITHOUT.search(text)
        or _COUNTED_TO_ZERO.match(text)
        or _KIND_FIXED.match(text)
        or _FIX_ALL_KIND.match(text)
    )
    if match is None:
        return None
    words = significant_words(match.group(1))
    if not words or any(w.startswith("skip") for w in words):
        return None  # skips are not failures: a failure-free run says nothing of them
    if because is None and not _FAILURE_KIND.search(match.group(1)):
        return None  # "no hardcoded paths", "no workarounds": code, not a kind of failure
    within = _WITHIN.search(text[match.start(1) :])
    scope = tuple(w for w in significant_words(within.group(1))) if within else ()
    folder = _IN_PATH.search(text[match.start(1) :])  # "No more `TimeoutError` in `tests/it/`"
    return Metric(
        KIND,
        words=words,
        within=tuple(w for w in scope if w not in words),
        selector=folder.group(1) if folder else None,
    )


def significant_words(text: str) -> tuple[str, ...]:
    """The words that name a kind of failure, without filler ("under concurrent load")."""
    head = re.split(r"\b(?:under|during|while|when|across|in|on|with)\b", text.lower())[0]
    tokens = re.findall(r"[a-z][a-z0-9_]+", head)
    return tuple(dict.fromkeys(stem(t) for t in tokens if t not in _STOP_WORDS))


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `zero` rule from the words after `zero`; raises `RuleError`."""
    words = tuple(stem(w) for w in re.findall(r"[a-z0-9_]+", arguments.lower()))
    if not words:
        raise RuleError("zero rule: name the kind of failure, e.g. `zero deadlock`")
    return Metric(KIND, words=words, source="rule")


def judge(metric: Metric, run: RunView) -> Verdict:
    """UNMET if a failure mentions the words, MET if the tests about them all passed.

    The tests about them are those whose names carry the words (two of them, when the metric
    has two or more: "accessibility.spec.ts" is not about "axe-core accessibility
    violations"), and those that failed that way in earlier runs. Anything else is UNKNOWN:
    no related test ran, none passed, or some fail otherwise. "No failures at all" in
    unrelated tests proves nothing.
    """
    words = metric.words
    topic = " ".join(words)
    chosen = run.index.select(metric.selector) if metric.selector else run.cases
    cases = [c for c in chosen if _in_scope(c, metric.within)] if metric.within else chosen
    offending = [c for c in cases if c.outcome in _FAILING and _mentions(_failure_words(c), words)]
    if offending:
        names = ", ".join(c.name for c in offending[:3])
        more = f" and {len(offending) - 3} more" if len(offending) > 3 else ""
        return Verdict(Status.UNMET, f"{len(offending)} failing about “{topic}”: {names}{more}")
    failed_that_way = {
        c.test_id for c in run.earlier_failures if _mentions(_failure_words(c), words)
    }
    named = any(word in run.identity_vocabulary for word in words)
    related = [
        c
        for c in cases
        if c.test_id in failed_that_way or (named and _mentions(identity_words(c), words))
    ]
    if not related:
        return Verdict(Status.UNKNOWN, f"no tests about “{topic}” ran in this run")
    failing = [c for c in related if c.outcome in _FAILING]
    if failing:  # they fail for another reason: that says nothing either way
        return Verdict(Status.UNKNOWN, f"{len(failing)} tests about “{topic}” fail otherwise")
    passed = sum(c.outcome is Outcome.PASSED and c.test_id not in run.flaky for c in related)
    if not passed:
        return Verdict(Status.UNKNOWN, f"no test about “{topic}” passed in this run")
    return Verdict(Status.MET, f"0 failures about “{topic}” in {len(related)} related tests")


def _in_scope(case: CaseResult, within: Sequence[str]) -> bool:
    return not within or all(word in identity_words(case) for word in within)


def _mentions(found: set[str], words: Sequence[str], *, need: int | None = None) -> bool:
    """Enough of the metric's words appear (all of them when there are one or two)."""
    wanted = need if need is not None else min(len(words), 2)
    return sum(word in found for word in words) >= wanted


def _failure_words(case: CaseResult) -> set[str]:
    text = " ".join(filter(None, (case.message, case.failure_type, case.name)))
    return word_set(text)
