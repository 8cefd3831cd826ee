"""The JUnit state machine behind `bot.core.junit`: lxml parser-target callbacks -> results.

Pure module (no I/O): lxml calls `start`/`end`/`data` as it parses, no tree is built, and
each finished test case or suite is appended to `ready` for the caller to hand out. The
vocabulary of a test case's children is junitparser's (its xunit2 classes name Surefire's
rerun and flaky results); reading them through callbacks instead of junitparser objects is
what keeps a 100k-case report near the speed of a bare lxml parse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import junitparser
from junitparser import xunit2

from bot.core.results import CaseResult, Outcome, SuiteResult
from bot.errors import HostileReport, NotJUnitReport

MAX_MESSAGE_CHARS = 4_000
MAX_DETAILS_CHARS = 16_000
MAX_OUTPUT_CHARS = 4_000
# PostgreSQL refuses btree index entries above ~2.7 kB, and test ids are indexed.
MAX_IDENTIFIER_CHARS = 500
NOT_RUN_STATUSES = frozenset({"disabled", "skipped", "notrun", "not_run", "ignored"})
JUNIT_ROOTS = frozenset({"testsuites", "testsuite"})

# In precedence order: a case with several results counts once, by the first kind here.
_FINAL = {
    junitparser.Failure._tag: Outcome.FAILED,
    junitparser.Error._tag: Outcome.ERROR,
    junitparser.Skipped._tag: Outcome.SKIPPED,
}
_INTERIM = frozenset(
    kind._tag
    for kind in (xunit2.RerunFailure, xunit2.RerunError, xunit2.FlakyFailure, xunit2.FlakyError)
)
_FINAL_ORDER = tuple(_FINAL.items())
_FLAKY = frozenset({xunit2.FlakyFailure._tag, xunit2.FlakyError._tag})
_SYSTEM_OUT = junitparser.SystemOut._tag
_SYSTEM_ERR = junitparser.SystemErr._tag
_OUTPUTS = frozenset({_SYSTEM_OUT, _SYSTEM_ERR})
_INF = float("inf")
# Enum members as module constants: `Outcome.PASSED` is a class attribute lookup per case.
_PASSED = Outcome.PASSED
_SKIPPED = Outcome.SKIPPED


def hostile(label: str) -> str:
    """The refusal message for a report that declares a DTD or entities."""
    return (
        f"{label}: declares a DTD or entities, which test reports never need; refused "
        "without expanding or fetching anything"
    )


@dataclass(slots=True)
class _Suite:
    name: str
    file: str | None
    properties: dict[str, str] = field(default_factory=dict)
    tests: int = 0


class _Children:
    """What a test case's child elements said; made only for a case that has children."""

    __slots__ = ("flaky", "interim", "outputs", "properties", "results")

    def __init__(self) -> None:
        self.results: dict[str, tuple[str | None, str | None, list[str]]] | None = None
        self.interim = 0
        self.flaky = 0
        self.outputs: dict[str, list[str]] | None = None
        self.properties: dict[str, str] | None = None


# With entities left unresolved (resolve_entities=False), libxml2 hands a target every `&`
# of an attribute value as the character reference `&#38;`, and nothing else that way: a
# literal "&#38;" in the file (`&amp;#38;`) arrives as "&#38;#38;". Replacing it is exact.
_ESCAPED_AMPERSAND = "&#38;"


def _with_ampersands(attrib: dict[str, str]) -> dict[str, str]:
    for value in attrib.values():
        if _ESCAPED_AMPERSAND in value:
            return {key: value.replace(_ESCAPED_AMPERSAND, "&") for key, value in attrib.items()}
    return attrib


class JUnitTarget:
    """lxml parser target: turns start/end/data callbacks into CaseResults and SuiteResults.

    `ampersands` says whether an attribute may hold an escaped `&`; the reader clears it
    while the bytes fed so far hold no `&` (then no attribute can), sparing each element
    a look at every value.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.ready: list[CaseResult | SuiteResult] = []  # the reader empties it, never swaps it
        self._emit = self.ready.append
        self.root: str | None = None
        self.ampersands = True
        self._suites: list[_Suite] = []
        self._suite: _Suite | None = None  # the innermost open suite
        self._attrib: dict[str, str] | None = None  # the open test case's attributes
        self._children: _Children | None = None  # and its children, once it has one
        # Every text node is appended in C (lxml calls `data` for each, whitespace between
        # cases included); an element whose text matters keeps what arrived while it was
        # open, from `_mark` on, into `_sink`. `release` drops the rest.
        self._texts: list[str] = []
        self.data: Callable[[str], None] = self._texts.append
        self._mark = 0
        self._sink: list[str] | None = None
        self._capturing: str | None = None  # which element that text belongs to
        self._property: tuple[str, dict[str, str]] | None = None

    def doctype(self, name: str, public_id: str | None, system_url: str | None) -> None:
        """A DOCTYPE: refused, whatever it declares."""
        raise HostileReport(hostile(self.label))

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        """An element opens."""
        if tag == "testcase" and self._attrib is None and self.root is not None:
            # The most frequent element, first: no namespace, not the root, not in a case.
            self._attrib = _with_ampersands(attrib) if self.ampersands else attrib
        else:
            self._start_other(tag, attrib)

    def _start_other(self, tag: str, attrib: dict[str, str]) -> None:
        if self.ampersands:
            attrib = _with_ampersands(attrib)
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        if self.root is None:
            self.root = tag
            if tag not in JUNIT_ROOTS:
                raise NotJUnitReport(
                    f"{self.label}: well-formed XML but not JUnit (root element <{tag}>, "
                    "expected <testsuites> or <testsuite>)"
                )
        if self._attrib is not None:
            # An element nested in a result or output is skipped: its text is kept with it.
            if self._capturing is None:
                self._start_in_case(tag, attrib)
        elif tag == "testcase":
            self._attrib = attrib  # lxml hands each callback a fresh dict
        elif tag == "testsuite":
            outer = self._suite
            name = _cap(attrib.get("name") or "") or (outer.name if outer else "")
            file = attrib.get("file") or attrib.get("filepath") or (outer.file if outer else None)
            self._suite = _Suite(name=name, file=_cap(file) if file else None)
            self._suites.append(self._suite)
        elif tag == "property" and self._suite is not None:
            self._open_property(attrib, self._suite.properties)

    def _start_in_case(self, tag: str, attrib: dict[str, str]) -> None:
        case = self._children
        if case is None:
            case = self._children = _Children()
        if tag in _FINAL:
            if case.results is None:
                case.results = {}
            if tag not in case.results:
                text: list[str] = []
                case.results[tag] = (attrib.get("message"), attrib.get("type"), text)
                self._capture(text, tag)
        elif tag in _INTERIM:
            case.interim += 1
            case.flaky += tag in _FLAKY
            self._capture(None, tag)
        elif tag in _OUTPUTS:
            if case.outputs is None:
                case.outputs = {}
            chunks = case.outputs.setdefault(tag, [])
            self._capture(chunks, tag)
        elif tag == "property":
            if case.properties is None:
                case.properties = {}
            self._open_property(attrib, case.properties)

    def _open_property(self, attrib: dict[str, str], into: dict[str, str]) -> None:
        key = attrib.get("name")
        if not key:
            return
        value = attrib.get("value")
        if value is not None:
            into[key] = value
        else:  # a multi-line value written as the element's text
            self._property = (key, into)
            self._capture([], "property")

    def _capture(self, sink: list[str] | None, tag: str) -> None:
        """Keep the text of the element `tag` opening now in `sink` (None: drop it)."""
        self._sink, self._capturing, self._mark = sink, tag, len(self._texts)

    def release(self) -> None:
        """Drop the text read so far, unless an element whose text matters is open."""
        if self._capturing is None:
            self._texts.clear()

    def end(self, tag: str) -> None:
        """An element closes."""
        if tag[0] == "{":
            tag = tag.rpartition("}")[2]
        attrib = self._attrib
        if tag == "testcase" and attrib is not None:
            suite = self._suite
            if self._children is None:
                # The common case, inline (a call per case shows at 100k cases): no
                # children, so passed, or skipped by its status.
                get = attrib.get
                classname = get("classname") or ""
                name = get("name") or get("id") or ""
                file = get("file") or (suite.file if suite else None)
                status = get("status")
                not_run = status is not None and status.strip().lower() in NOT_RUN_STATUSES
                if file is not None and len(file) > MAX_IDENTIFIER_CHARS:
                    file = _cap(file)
                raw = get("time") or get("duration")
                try:
                    duration = float(raw) if raw else None
                except ValueError:
                    duration = _duration(raw)
                else:  # negative or non-finite: unknown, as `_duration` says
                    if duration is not None and not 0 <= duration < _INF:
                        duration = None
                # All fields positionally: half the cost of the dataclass filling defaults.
                self._emit(
                    CaseResult(
                        suite.name if suite else "",
                        classname if len(classname) <= MAX_IDENTIFIER_CHARS else _cap(classname),
                        name if len(name) <= MAX_IDENTIFIER_CHARS else _cap(name),
                        _SKIPPED if not_run else _PASSED,
                        file or None,
                        duration,
                        None,
                        None,
                        None,
                        {},
                        None,
                        None,
                        0,
                        False,
                    )
                )
            else:
                self._emit(_finish(attrib, self._children, suite))
                self._children = None
            self._attrib = None
            if suite is not None:
                suite.tests += 1
        else:
            self._end_other(tag, attrib)

    def _end_other(self, tag: str, attrib: dict[str, str] | None) -> None:
        if tag == self._capturing:
            sink = self._sink
            if sink is not None:
                sink.extend(self._texts[self._mark :])
            if tag == "property" and self._property is not None:
                key, into = self._property
                into[key] = "".join(sink or []).strip()
                self._property = None
            self._sink = self._capturing = None
        elif tag == "testsuite" and self._suites and attrib is None:
            done = self._suites.pop()
            self._suite = self._suites[-1] if self._suites else None
            self._emit(SuiteResult(name=done.name, properties=done.properties, tests=done.tests))

    def close(self) -> None:
        """End of document."""


def _finish(attrib: dict[str, str], case: _Children, suite: _Suite | None) -> CaseResult:
    """A test case with children: its outcome, failure text, output and properties."""
    get = attrib.get
    file = get("file") or (suite.file if suite else None)
    outcome, decisive = _outcome(case.results, get("status"))
    message = failure_type = details = None
    if decisive is not None:
        message, failure_type, chunks = decisive
        details = "".join(chunks).strip() or None
        if not message and details:
            message = details.partition("\n")[0]  # e.g. a <failure> with text only
    out = err = None
    if case.outputs is not None:
        out = case.outputs.get(_SYSTEM_OUT)
        err = case.outputs.get(_SYSTEM_ERR)
    return CaseResult(
        suite.name if suite else "",
        _cap(get("classname") or ""),
        _cap(get("name") or get("id") or ""),
        outcome,
        _cap(file) if file else None,
        _duration(get("time") or get("duration")),
        trim(message, MAX_MESSAGE_CHARS),
        _cap(failure_type) if failure_type else None,
        trim(details, MAX_DETAILS_CHARS),
        case.properties or {},
        trim("".join(out), MAX_OUTPUT_CHARS) if out else None,
        trim("".join(err), MAX_OUTPUT_CHARS) if err else None,
        case.interim,
        outcome is _PASSED and case.flaky > 0,
    )


def _outcome(
    results: dict[str, tuple[str | None, str | None, list[str]]] | None, status: str | None
) -> tuple[Outcome, tuple[str | None, str | None, list[str]] | None]:
    """Failure, then error, then skipped; a not-run `status` with no result is skipped."""
    if results:
        for kind, outcome in _FINAL_ORDER:
            found = results.get(kind)
            if found is not None:
                return outcome, found
    if status and status.strip().lower() in NOT_RUN_STATUSES:
        return _SKIPPED, None
    return _PASSED, None


def _duration(raw: str | None) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            return None
    # Negative or non-finite times (seen in real reports) are unknown, not zero.
    return value if 0 <= value < _INF else None


def trim(text: str | None, limit: int) -> str | None:
    """Keep the head and the tail (where tracebacks say what failed) of long text."""
    if text is None:
        return None
    if len(text) <= limit:
        return text
    head = limit // 4
    tail = limit - head
    dropped = len(text) - head - tail
    return f"{text[:head]}\n… [{dropped:,} characters trimmed] …\n{text[-tail:]}"


def _cap(text: str) -> str:
    if len(text) <= MAX_IDENTIFIER_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{text[: MAX_IDENTIFIER_CHARS - 14]}…~{digest}"
