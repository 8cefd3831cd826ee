"""One checklist item's reading, with what the rest of the body says about it. Pure: no I/O.

The words of an item go to the metric kinds (`metrics.recognise`); its place decides the
rest: under "Current state" it is no goal, a group it names ("mission-critical suite") is
the folder of the plan's tracked tests, a bare function under "#### Unit tests (`x.py`)" is
that file's, and a bare test file under "Files to Fix" is done when it passes, unless its
sub-items are things no run shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.core import checklist, sections
from bot.core import phases as phase_layout
from bot.core.metrics import recognise, scopes, subjects
from bot.core.metrics.base import Metric, MetricKind
from bot.core.metrics.subjects import manual_reason
from bot.core.testnames import TEST_NAME, is_test_name

_FIXES = re.compile(r"\b(?:fix\w*|fail\w*|broken|recover\w*|repair\w*|restore\w*)\b", re.I)
GROUP_REASON = "names a group of tests"
_FIX_TESTS = re.compile(r"^\W*fix\w*\b(?!.*`).*\btests?\b", re.I)
_FILE_LINE = re.compile(r"^\W*(?:test )?files?\W*:\W*`([^`]+)`", re.I | re.M)
# "Files to create", "Tests to migrate": a list of test files that asks for other work.
_NEW_FILES = re.compile(
    r"\b(?:creat\w*|new|add\w*|delet\w*|remov\w*|review\w*|renam\w*|mov\w*|migrat\w*|"
    r"port\w*|split\w*|document\w*|write|written)\b",
    re.I,
)
_LINE = re.compile(r":\d+$")  # `x.spec.ts:79`: a line in the file
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# Reasons a sub-item of a test file is manual that its passing still settles.
_SHOWN_BY_PASSING = frozenset({subjects.CODE, subjects.BUILD})
_LINT = re.compile(
    r"\b(?:lint\w*|clippy|ruff|mypy|eslint|flake8|pylint|tsc|typecheck\w*|type[- ]check\w*|"
    r"warnings?|deprecat\w*|unused|dead code|todo|fixme|quality|bundles?|cache)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Layout:
    """What an item's reading needs from the rest of the body."""

    spans: list[phase_layout.PhaseSpan]
    headings: list[sections.Heading]
    tracked: tuple[str, ...]
    children: dict[int, list[str]]  # item index -> its sub-items' texts

    def enclosing(self, line: int) -> list[sections.Heading]:
        """The headings a line sits under, innermost first."""
        return [h for h in reversed(self.headings) if h.line <= line < h.end]


def read_item(box: checklist.Checkbox, layout: Layout) -> tuple[Metric | None, str | None]:
    """An item's metric as its words and its place in the body say, or why it has none."""
    enclosing = layout.enclosing(box.line)
    start = next((h for h in enclosing if sections.starting_state(h)), None)
    if start is not None:
        return None, f"describes where the work started (“{start.text}”), not a goal"
    text = _HTML_COMMENT.sub("", box.text)
    if text.rstrip().endswith(":") and box.more:
        text = f"{text} {box.more}"  # "Verify:" with its command on the next line
    metric = recognise(text)
    if metric is None:
        # A test file stands for its sub-items when its passing shows them done.
        children = layout.children.get(box.index, [])
        if any(_not_shown_by_passing(child) for child in children):
            return None, None
        return _listed_under_fixes(box, enclosing) or _fix_with_its_file(box, text), None
    if metric.selector is None:
        return metric, None
    if scopes.is_group(metric.selector):
        folder = scopes.group_folder(metric.selector, layout.tracked)
        if folder is None:
            group = metric.selector.rstrip("/")
            return None, (
                f"{GROUP_REASON} (“{group}”) the plan does not pin down; "
                "a rule naming its folder makes it checkable"
            )
        return replace(metric, selector=folder), None
    if re.fullmatch(r"test_\w+", metric.selector):  # a function under "#### Unit tests (`x.py`)"
        owner = next((f for h in enclosing for f in _test_files(h.text)), None)
        if owner is not None:
            return replace(metric, selector=f"{owner}::{metric.selector}"), None
    return metric, None


def _not_shown_by_passing(sub_item: str) -> bool:
    """Whether a sub-item of a test file is work its passing does not show: a type or import
    fixed in the file is (it would not compile or import otherwise); lint, logs, coverage or
    process are not."""
    reason = manual_reason(sub_item)
    if reason is None:
        return False
    return reason not in _SHOWN_BY_PASSING or _LINT.search(sub_item) is not None


def children_of(boxes: list[checklist.Checkbox]) -> dict[int, list[str]]:
    children: dict[int, list[str]] = {}
    for position, box in enumerate(boxes):
        for later in boxes[position + 1 :]:
            if later.depth <= box.depth:
                break
            children.setdefault(box.index, []).append(later.text)
    return children


def _listed_under_fixes(
    box: checklist.Checkbox, enclosing: list[sections.Heading]
) -> Metric | None:
    """A test file under "Files to Fix" or "Checklist (Fix + Verify)", bare or after the
    failure it had ("4. State icons timeout (`tests/e2e/state-icons.spec.ts`)"): done when
    it passes. Only one test named, and nothing tied to a platform the run may not be."""
    text = _HTML_COMMENT.sub("", box.text).replace("**", "")
    if subjects.elsewhere(text) or any(_NEW_FILES.search(h.text) for h in enclosing[:2]):
        return None
    bare = text.replace("`", "").strip(" .,;:")
    if is_test_name(bare):  # a checklist of test files: each done when it passes
        return Metric(MetricKind.TESTS_PASSING, selector=bare)
    if not any(_FIXES.search(h.text) for h in enclosing[:2]):
        return None
    names = {
        _LINE.sub("", n) for n in re.findall(r"`([^`]+)`", text) if is_test_name(_LINE.sub("", n))
    }
    if len(names) == 1 and len(re.findall(r"`[^`]+`", text)) == 1:
        return Metric(MetricKind.TESTS_PASSING, selector=names.pop())
    return None


def _fix_with_its_file(box: checklist.Checkbox, text: str) -> Metric | None:
    """ "**Fix navigation links test**" with "- **File**: `tests/nav.test.ts`" below it."""
    if not _FIX_TESTS.match(text.replace("**", "")) or subjects.elsewhere(text):
        return None
    files = {
        name
        for name in _FILE_LINE.findall(box.nested.replace("**", ""))
        if is_test_name(_LINE.sub("", name))
    }
    return (
        Metric(MetricKind.TESTS_PASSING, selector=_LINE.sub("", files.pop()))
        if len(files) == 1
        else None
    )


def _test_files(text: str) -> list[str]:
    return [
        m.group(0)
        for m in TEST_NAME.finditer(text)
        if "::" not in m.group(0) and re.search(r"\.\w+$", m.group(0))
    ]
