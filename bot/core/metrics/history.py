"""What the multi-run kinds share: a run's state for a selection of tests, over the window.

Pure module: no I/O. A multi-run metric reads the newest run (`RunView`) and the qualifying
runs before it (`RunView.past`, each one's worst outcome per test), oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from bot.core.metrics.base import Metric, RunView
from bot.core.results import Outcome
from bot.core.testnames import TEST_NAME, is_test_name

# The most runs a sync reads for a plan's multi-run items; a metric over more stays unknown.
MAX_RUNS = 50
FAILING = (Outcome.FAILED, Outcome.ERROR)

# Pattern fragments of the readings.
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
COUNT = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"
PASS_WORDS = re.compile(
    r"\b(?:green|pass|passes|passing|passed|succeed|succeeds|succeeding|successful)\b", re.I
)
RUN_ADJECTIVES = r"(?:(?:consecutive|green|passing|successful|clean|ci|recent|last)\s+)*"


def count(word: str) -> int:
    """A count as written: digits or a small number word."""
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


_CODE_SPAN = re.compile(r"`([^`]+)`")


def scope_of(text: str) -> tuple[bool, str | None]:
    """The tests an item names (None: the whole run); False when it names something else.

    A code span that is neither a test nor a directory (`make test`) leaves the scope unclear,
    and an unclear scope is no metric.
    """
    spans = [span.strip() for span in _CODE_SPAN.findall(text)]
    for span in spans:
        if is_test_name(span) or span.endswith("/") or re.fullmatch(r"test_\w+|Test\w+", span):
            return True, span  # a file, a folder, a class or a test function
    if spans:
        return False, None
    found = TEST_NAME.search(text)
    return True, (found.group(0) if found else None)


class RunState(StrEnum):
    """What one run says about the selected tests."""

    PASSED = "passed"  # some ran, all passed
    FAILED = "failed"  # one failed or errored
    EMPTY = "empty"  # none ran (absent or skipped): no evidence
    SHAKY = "shaky"  # passed, but only with flaky passes: no evidence


def selected_ids(view: RunView, selector: str | None) -> frozenset[str] | None:
    """The test ids a selector names in the newest run; None for every test."""
    if selector is None:
        return None
    return frozenset(c.test_id for c in view.index.select(selector))


def runs_of(view: RunView) -> list[Mapping[str, Outcome]]:
    """Every run's worst outcome per test, oldest first, the newest last."""
    return [*view.past, view.outcomes]


def state(outcomes: Mapping[str, Outcome], ids: Iterable[str] | None) -> RunState:
    """The run's state for these test ids (None: every test of the run)."""
    chosen = outcomes.values() if ids is None else (outcomes.get(i) for i in ids)
    seen = {o for o in chosen if o is not None}
    if seen & set(FAILING):
        return RunState.FAILED
    return RunState.PASSED if Outcome.PASSED in seen else RunState.EMPTY


def states(view: RunView, selector: str | None, last: int) -> list[RunState]:
    """The states of the newest `last` runs, oldest first; the newest is SHAKY on flaky passes."""
    ids = selected_ids(view, selector)
    found = [state(outcomes, ids) for outcomes in runs_of(view)[-last:]]
    if found and found[-1] is RunState.PASSED and shaky(view, ids):
        found[-1] = RunState.SHAKY
    return found


def shaky(view: RunView, ids: Iterable[str] | None) -> list[str]:
    """The tests of the selection whose pass in the newest run is flaky."""
    chosen = view.outcomes if ids is None else {i: view.outcomes.get(i) for i in ids}
    return sorted(t for t, o in chosen.items() if o is Outcome.PASSED and t in view.flaky)


def scope(metric: Metric) -> str:
    """The selection in words."""
    return f"`{metric.selector}`" if metric.selector else "the run"


def names(test_ids: Sequence[str]) -> str:
    """A few test ids, and how many more."""
    shown = ", ".join(t.rsplit("::", 1)[-1] for t in test_ids[:3])
    return shown + (f" and {len(test_ids) - 3} more" if len(test_ids) > 3 else "")
