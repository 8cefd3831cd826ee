"""A remediation issue drafted from a red run, in the seed's shape. Pure: no I/O.

The seed (`fixtures/issue-870.md`) is a report a person wrote from a failing run: a
headline, results per test file, the failures by root cause, a phase per cause and success
metrics. `render` writes the same from the data alone, so the loop closes: a run fails, the
issue is drafted, the bot keeps it true. Every success metric is written in words the
reader reads back to exactly the metric meant; an item whose words would read otherwise
(a hostile test name, say) carries the explicit rule instead. All stranger text is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core import plan as plan_module
from bot.core.draft_facts import (
    FAILING,
    FileResult,
    RootCause,
    files_of,
    memory_bound,
    owner_of,
    root_causes,
    time_bound,
)
from bot.core.evaluate import RunInput
from bot.core.markdown_safe import code, inline
from bot.core.metrics import parse_rule
from bot.core.metrics.base import Metric
from bot.core.metrics.units import format_bytes, format_seconds, plural
from bot.core.results import CaseResult, Outcome, case_owner
from bot.core.testnames import CaseIndex, is_test_name

# Characters of test ids the phases may list, all together: the body stays well inside
# GitHub's 65,536. Tests past it are counted, and map to a phase by their words.
_TEST_LIST_BUDGET = 40_000
_LONGEST_ID = 1_000
_TABLE_ROWS = 100  # files per results table
_LISTED_PER_FILE = 10  # a file's failures a phase lists by name before it names the file


@dataclass(frozen=True, slots=True)
class Goal:
    """A success metric: its words, and the rule they must read back as."""

    text: str
    rule: str


def render(run: RunInput, *, previous: RunInput | None = None, title: str | None = None) -> str:
    """The issue body for this run (with `previous`, the headline says what changed)."""
    files = files_of(run)
    causes = root_causes(run)
    failing = [f for f in files if f.failing]
    heading = title or _title(run, failing)
    sections = [
        f"# {inline(heading, limit=200)}",
        _summary(run, files, causes, previous),
        _results(files),
        _analysis(causes),
        _plan(causes),
        _metrics(_goals(run, files, causes)),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def goals(run: RunInput) -> list[Goal]:
    """The success metrics: each failing file passing, the pass rate, bounds, each cause gone.

    A file whose tests no selector picks out exactly (a suite name with spaces, a file the
    runner reports under another name) gets no item of its own; the pass rate covers it.
    """
    return _goals(run, files_of(run), root_causes(run))


def _goals(run: RunInput, files: Sequence[FileResult], causes: Sequence[RootCause]) -> list[Goal]:
    index = CaseIndex(run.cases)
    found = [
        Goal(f"{code(name)}: {len(f.cases)}/{len(f.cases)} tests passing", rule)
        for f in files
        if f.failing
        for name in [_selector(f, index)]
        if name is not None
        for rule in [f"tests {name} {len(f.cases)}"]
    ]
    found.append(Goal("Overall pass rate reaches 100%", "pass-rate >= 100%"))
    memory = memory_bound(run)
    if memory is not None:
        found.append(Goal(f"Peak memory stays under {memory:g} MB", f"memory <= {memory:g}MB"))
    seconds = time_bound(run)
    if seconds is not None:
        found.append(Goal(f"No test slower than {seconds:g}s", f"duration each <= {seconds:g}s"))
    for cause in causes:
        kind = failure_kind(cause)
        words = [w for w in cause_words(cause) if w != kind]
        if words:
            spans = " ".join(code(w) for w in words)
            text = f"No {kind + ' ' if kind else ''}failures about {spans}"
            rule = " ".join(w.lower() for w in ([kind] if kind else []) + words)
            found.append(Goal(text, f"zero {rule}"))
    return found


def _selector(result: FileResult, index: CaseIndex) -> str | None:
    """The name a rule can hold that selects exactly this file's tests, if there is one."""
    first = result.cases[0]
    for name in dict.fromkeys(filter(None, (result.name, first.file, first.suite))):
        if re.fullmatch(r"[^\s`<>@]+", name) and index.select(name) == list(result.cases):
            return name
    return None


def _named_tests(cause: RootCause, causes: Sequence[RootCause]) -> list[str]:
    """The ids a phase names its tests by, so that its failures map to it: `owner::name`
    (`::name` when the runner gave no owner), or `owner::*` for a file or class with more
    than `_LISTED_PER_FILE` failures, all of this cause."""
    elsewhere = {
        case_owner(c.file, c.classname) or c.suite
        for other in causes
        if other is not cause
        for c in other.cases
    }
    by_owner: dict[str, list[CaseResult]] = {}
    for case in cause.cases:
        by_owner.setdefault(case_owner(case.file, case.classname) or case.suite, []).append(case)
    named: list[str] = []
    for owner, cases in by_owner.items():
        if owner and len(cases) > _LISTED_PER_FILE and owner not in elsewhere:
            named.append(f"{owner}::*")
        else:
            named += [f"{owner}::{case.name}" for case in cases]
    return named


def failure_kind(cause: RootCause) -> str | None:
    """The exception a cause's failures raise: the runner's type, or the message's prefix
    (`AssertionError: ...`); None when neither is a plain name."""
    kind = cause.failure_type
    if not _plain_word(kind):
        prefix = re.match(r"([A-Za-z_][\w.]*(?:Error|Exception|Failure))\b", cause.message)
        kind = prefix.group(1).rsplit(".", 1)[-1] if prefix else None
    return kind if _plain_word(kind) else None


def cause_words(cause: RootCause) -> list[str]:
    """Up to two words of the message that pick this cause's failures out: identifiers
    (`create_agent_instance`, `UserExecutionEngine`) first, then the longest words; never a
    word with digits, which change from run to run (ids, timestamps)."""
    tokens = dict.fromkeys(re.findall(r"[A-Za-z][A-Za-z0-9_]+", cause.message))
    usable = [
        t
        for t in tokens
        if len(t) > 3
        and not re.search(r"\d", t)
        and t.lower() not in _FILLER
        and t != failure_kind(cause)
    ]
    ranked = sorted(usable, key=lambda t: (-("_" in t.strip("_")), -_is_camel(t), -len(t), t))
    return ranked[:2]


def _is_camel(word: str) -> bool:
    return re.search(r"[a-z][A-Z]", word) is not None


_FILLER = frozenset(
    "should have that this with from were been does not object attribute expected actual "
    "error errors failure failed assert assertion none true false value type".split()
)


def _plain_word(text: str | None) -> bool:
    return bool(text) and str(text).replace("_", "").isalnum() and str(text).isascii()


def _title(run: RunInput, failing: Sequence[FileResult]) -> str:
    broken = sum(c.outcome in FAILING for c in run.cases)
    return (
        f"Test failures: {broken} of {plural(len(run.cases), 'test')} failing "
        f"in {plural(len(failing), 'file')}"
    )


def _summary(
    run: RunInput,
    files: Sequence[FileResult],
    causes: Sequence[RootCause],
    previous: RunInput | None,
) -> str:
    total = len(run.cases)
    passed = sum(c.outcome is Outcome.PASSED for c in run.cases)
    broken = total - passed - sum(c.outcome is Outcome.SKIPPED for c in run.cases)
    share = f"{passed / total:.0%}" if total else "no tests"
    lines = [
        "## Executive Summary",
        "",
        f"Ran {plural(total, 'test')} in {plural(len(files), 'file')}. "
        f"**{passed} passed ({share})**, "
        f"{broken} failed or errored, {total - passed - broken} skipped.",
    ]
    if causes:
        largest = causes[0]
        lines[-1] += (
            f" The failures come from {plural(len(causes), 'root cause')}; the largest, "
            f"{code(largest.message, limit=120)}, breaks {plural(len(largest.cases), 'test')}."
        )
    if previous is not None:
        lines += ["", _change(run, previous)]
    return "\n".join(lines)


def _change(run: RunInput, previous: RunInput) -> str:
    before = {c.test_id: c.outcome for c in previous.cases}
    now = {c.test_id: c.outcome for c in run.cases}
    newly = sum(o in FAILING and before.get(t) is Outcome.PASSED for t, o in now.items())
    fixed = sum(o is Outcome.PASSED and before.get(t) in FAILING for t, o in now.items())
    return f"Against the previous run: {newly} newly failing, {fixed} fixed."


def _results(files: Sequence[FileResult]) -> str:
    memory = any(f.peak_memory is not None for f in files)
    passing = [f for f in files if not f.failing]
    failing = [f for f in files if f.failing]
    return "\n".join(
        [
            "## Test Execution Results",
            *_table("✅ Passing Test Files", passing, len(files), "**PASSED**", memory),
            *_table("❌ Failing Test Files", failing, len(files), "**FAILED**", memory),
        ]
    )


def _table(
    heading: str, shown: Sequence[FileResult], total: int, status: str, memory: bool
) -> list[str]:
    """One results table (none when no file is in it), at most `_TABLE_ROWS` rows."""
    if not shown:
        return []
    return [
        "",
        f"### {heading} ({len(shown)}/{total})",
        "",
        "| Test File | Tests | Status | Time |" + (" Peak memory |" if memory else ""),
        "|---|---|---|---|" + ("---|" if memory else ""),
        *(_row(f, status, memory) for f in shown[:_TABLE_ROWS]),
        *_more_files(len(shown)),
    ]


def _more_files(count: int) -> list[str]:
    return ["", f"… and {count - _TABLE_ROWS} more files."] if count > _TABLE_ROWS else []


def _row(result: FileResult, status: str, memory: bool) -> str:
    mark = "✅" if not result.failing else "❌"
    time = format_seconds(result.seconds) if result.seconds is not None else "—"
    cells = [
        _cell(result.name),
        f"{result.passed}/{len(result.cases)} {mark}",
        status,
        time,
    ]
    if memory:
        figure = result.peak_memory
        cells.append(f"{format_bytes(figure)} peak" if figure is not None else "—")
    return "| " + " | ".join(cells) + " |"


def _cell(text: str) -> str:
    """A table cell: a code span, or escaped text when it holds `|` (which splits cells)."""
    if "|" in text:
        return inline(text, limit=120)  # which escapes the `|` as `\\|`
    return code(text, limit=120)


def _analysis(causes: Sequence[RootCause]) -> str:
    if not causes:
        return ""
    lines = ["## Detailed Failure Analysis"]
    for number, cause in enumerate(causes, start=1):
        lines += ["", f"### {number}. {inline(_short(cause), limit=120)}", ""]
        lines += [f"**Primary Error**: {code(cause.message, limit=300)}", ""]
        lines += [
            f"**Impact**: {plural(len(cause.cases), 'test')} failing "
            f"in {plural(len(cause.files), 'file')}.",
            "",
            "**Tests hit**: " + _hits(cause),
        ]
        if cause.points_to:
            where = ", ".join(
                code(file) + (f" in {code(function)}" if function else "")
                for file, function in cause.points_to
            )
            lines += ["", f"**Points to**: {where}"]
    return "\n".join(lines)


def _hits(cause: RootCause) -> str:
    """ "3 in `tests/test_a.py`, 1 in `tests/test_b.py`" (the first ten files)."""
    counts: dict[str, int] = {}
    for case in cause.cases:
        counts[owner_of(case)] = counts.get(owner_of(case), 0) + 1
    shown = [f"{n} in {code(f)}" for f, n in list(counts.items())[:10]]
    more = f", and {len(counts) - 10} more files" if len(counts) > 10 else ""
    return ", ".join(shown) + more


def _plan(causes: Sequence[RootCause]) -> str:
    if not causes:
        return ""
    lines = ["## Comprehensive Remediation Plan"]
    budget = _TEST_LIST_BUDGET
    for number, cause in enumerate(causes, start=1):
        lines += ["", f"### Phase {number}: Fix {inline(_short(cause), limit=100)}", ""]
        lines += [f"**Target**: {code(cause.message, limit=200)}", ""]
        every = _named_tests(cause, causes)
        # An id cut short would name no test: longer ones are counted, not listed.
        named = [f"- {code(n, limit=_LONGEST_ID)}" for n in every if len(n) <= _LONGEST_ID]
        shown = 0
        while shown < len(named) and budget > len(named[shown]):
            budget -= len(named[shown]) + 1
            shown += 1
        lines += [f"**Tests** ({len(cause.cases)}):", *named[:shown]]
        if shown < len(every):
            lines += [f"- and {len(every) - shown} more"]
        # Code only: a test file named here would claim all its tests for this phase.
        code_files = [f for f, _ in cause.points_to if not is_test_name(f.rsplit("/", 1)[-1])]
        if code_files:
            lines += ["", "**Change**: " + ", ".join(code(f) for f in code_files)]
    return "\n".join(lines)


def _metrics(found: Sequence[Goal]) -> str:
    lines = ["## Success Metrics", ""]
    for goal in found:
        line = f"- [ ] {goal.text}"
        if not _reads_back(goal):
            line += f" <!-- remediation: {goal.rule} -->"
        lines.append(line)
    return "\n".join(lines)


def _reads_back(goal: Goal) -> bool:
    """Whether the goal's words alone read as its rule (kind, selector, threshold, words)."""
    item = plan_module.parse(f"- [ ] {goal.text}\n").items
    meant = parse_rule(goal.rule)
    return bool(item) and meant is not None and _same(item[0].metric, meant)


def _same(read: Metric | None, meant: Metric) -> bool:
    if read is None:
        return False
    fields = ("kind", "selector", "expected", "threshold", "comparison", "scope", "words")
    return all(getattr(read, f) == getattr(meant, f) for f in fields)


def _short(cause: RootCause) -> str:
    """A cause's name for a heading: its failure type and the start of its message."""
    message = cause.message
    if cause.failure_type and message.startswith(cause.failure_type):
        message = message[len(cause.failure_type) :].lstrip(": ")
    head = f"{cause.failure_type}: {message}" if cause.failure_type else message
    return head if len(head) <= 80 else head[:79] + "…"
