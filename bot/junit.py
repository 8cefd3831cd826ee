"""JUnit XML -> test results, streaming, for every dialect CI runners write.

Pure module (no database, no network): it reads bytes and yields plain data. It is the only
module importing junitparser. Rules, in one place:

- Totals come from the test cases, never from suite attributes (they often lie).
- A case with several result elements counts once: failure, then error, then skipped.
- A case whose `status` attribute says it did not run (`disabled`, `skipped`, `notrun`,
  `ignored`) and that has no failure or error counts as skipped; other `status` values
  (`run`, `passed`, Catch2's and Bazel's) leave the outcome to the child elements.
- Surefire's `rerunFailure`/`rerunError`/`flakyFailure`/`flakyError` never change the
  outcome; they are counted in `reruns`, and a passing case with flaky children is `flaky`.
- A DTD or entity declaration is refused: entities are never resolved, nothing is fetched.
- Memory stays flat: each test case is handled and then cleared from the tree.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import junitparser
from junitparser import xunit2
from lxml import etree

from bot.errors import (
    HostileReport,
    MalformedReport,
    NotJUnitReport,
    ReportError,
    ReportTooLarge,
)
from bot.results import CaseResult, Outcome, SuiteResult, Totals

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_MESSAGE_CHARS = 4_000
MAX_DETAILS_CHARS = 16_000
MAX_OUTPUT_CHARS = 4_000
# PostgreSQL refuses btree index entries above ~2.7 kB, and test ids are indexed.
MAX_IDENTIFIER_CHARS = 500

NOT_RUN_STATUSES = frozenset({"disabled", "skipped", "notrun", "not_run", "ignored"})
JUNIT_ROOTS = frozenset({"testsuites", "testsuite"})
_PROLOG_BYTES = 64 * 1024
_TAGS = ("testsuite", "testcase", "properties")
_WATCHED_TAGS = tuple(f"{{*}}{tag}" for tag in _TAGS)  # any namespace, or none

ReportSource = Path | bytes | IO[bytes]
# In precedence order: a case with several results counts once, by the first kind here.
_FINAL_KINDS: dict[type, Outcome] = {
    junitparser.Failure: Outcome.FAILED,
    junitparser.Error: Outcome.ERROR,
    junitparser.Skipped: Outcome.SKIPPED,
}
_PASSED, _SKIPPED = Outcome.PASSED, Outcome.SKIPPED
_INF = float("inf")
_FLAKY_KINDS = frozenset({xunit2.FlakyFailure, xunit2.FlakyError})
# junitparser's classes for the children of a <testcase>, by tag (the xunit2 set includes
# Surefire's rerun and flaky results).
_CHILD_KINDS: dict[str, Any] = {
    kind._tag: kind for kind in xunit2.TestCase.ITER_TYPES.values() if kind._tag
}


@dataclass(frozen=True, slots=True)
class Report:
    """One JUnit report to read: a file, or bytes received with a name."""

    name: str
    source: Path | bytes

    @property
    def size(self) -> int:
        """Bytes on disk or in memory."""
        return self.source.stat().st_size if isinstance(self.source, Path) else len(self.source)


@dataclass(slots=True)
class ParsedReport:
    """A whole report held in memory: for small inputs, tests and the offline CLI."""

    name: str
    cases: list[CaseResult] = field(default_factory=list)
    suites: list[SuiteResult] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)


@dataclass(slots=True)
class FileSummary:
    """The `files[]` entry of `junit --json`: totals of one file, or why it was unreadable."""

    path: str
    totals: Totals
    error: str | None = None


class _CappedReader:
    """A file wrapper that refuses to read past the size limit."""

    def __init__(self, raw: IO[bytes], *, name: str, max_bytes: int, head: bytes = b"") -> None:
        self._raw = raw
        self._name = name
        self._max_bytes = max_bytes
        self._head = head
        self._seen = 0

    def read(self, size: int = -1) -> bytes:
        if self._head:
            chunk, self._head = self._head, b""
        else:
            chunk = self._raw.read(size if size >= 0 else self._max_bytes + 1)
        self._seen += len(chunk)
        if self._seen > self._max_bytes:
            raise ReportTooLarge(_too_large(self._name, self._max_bytes))
        return chunk


def _too_large(name: str, max_bytes: int) -> str:
    return (
        f"{name}: larger than the {max_bytes:,}-byte limit for one report; "
        "split it or raise MAX_REPORT_BYTES"
    )


def iter_report(
    source: ReportSource, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[CaseResult | SuiteResult]:
    """Yield each test case as it is read, and each suite when it closes.

    Raises a `ReportError` subclass naming the file when the report is too large, malformed,
    hostile or not JUnit; cases already yielded from a file that fails later must be dropped
    by the caller (the contract gives an unreadable file zero totals; see `check_report`).
    """
    label = _label(source, name)
    with _opened(source, label, max_bytes) as handle:
        yield from _iter_stream(handle, label=label, max_bytes=max_bytes)


def check_report(
    source: ReportSource, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Raise the `ReportError` reading the report would raise, without building any result.

    A pass at bare-parser speed, so that a large report is known to be readable before its
    cases are streamed into the store.
    """
    label = _label(source, name)
    with _opened(source, label, max_bytes) as handle:
        events = _events(handle, label=label, max_bytes=max_bytes)
        try:
            for _, elem in events:
                _forget(elem)
            _check_document(events.root.getroottree(), label)
        except etree.XMLSyntaxError as exc:
            raise MalformedReport(_describe_syntax_error(label, exc)) from None


def _label(source: ReportSource, name: str | None) -> str:
    return name or (str(source) if isinstance(source, Path) else "report")


@contextmanager
def _opened(source: ReportSource, label: str, max_bytes: int) -> Iterator[IO[bytes]]:
    if isinstance(source, Path):
        if source.stat().st_size > max_bytes:
            raise ReportTooLarge(_too_large(label, max_bytes))
        with source.open("rb") as handle:
            yield handle
    elif isinstance(source, bytes):
        if len(source) > max_bytes:
            raise ReportTooLarge(_too_large(label, max_bytes))
        yield io.BytesIO(source)
    else:
        yield source


def _events(handle: IO[bytes], *, label: str, max_bytes: int) -> Any:
    """lxml's iterparse with every safety on: no entities, no network, no DTD."""
    head = handle.read(_PROLOG_BYTES)
    if _prolog_declares_dtd(head):
        raise HostileReport(_hostile(label))
    return etree.iterparse(
        _CappedReader(handle, name=label, max_bytes=max_bytes, head=head),
        events=("end",),
        tag=_WATCHED_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


def _iter_stream(
    handle: IO[bytes], *, label: str, max_bytes: int
) -> Iterator[CaseResult | SuiteResult]:
    events = _events(handle, label=label, max_bytes=max_bytes)
    suites: list[_OpenSuite] = []
    current: _OpenSuite | None = None  # the suite the previous case belonged to
    checked_root = False
    try:
        # Only "end" events: a case's enclosing suite is its parent element, whose
        # attributes are already parsed; half the events of a start/end scan. This loop is
        # the hot path of ingestion (100k cases per report), hence the inlining.
        for _, elem in events:
            if not checked_root:
                _check_document(elem.getroottree(), label)
                checked_root = True
            tag = elem.tag
            if tag[0] == "{":
                tag = tag.rpartition("}")[2]
            if tag == "testcase":
                parent = elem.getparent()
                if current is None or current.element is not parent:
                    current = _enclosing_suite(parent, suites)
                yield _read_case(elem, current) if len(elem) else _read_plain_case(elem, current)
                if current is not None:
                    current.tests += 1
                # Free the case and what came before it, so memory stays flat.
                elem.clear(keep_tail=False)
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
            elif tag == "testsuite":
                done = _enclosing_suite(elem, suites)
                current = None
                if done is not None:
                    suites.pop()
                    yield SuiteResult(name=done.name, properties=done.properties, tests=done.tests)
                _forget(elem)
            else:
                parent = elem.getparent()
                if parent is not None and _local(parent.tag) == "testsuite":
                    owner = _enclosing_suite(parent, suites)
                    if owner is not None:
                        owner.properties.update(_read_properties(elem))
        if not checked_root:
            _check_document(events.root.getroottree(), label)
    except etree.XMLSyntaxError as exc:
        raise MalformedReport(_describe_syntax_error(label, exc)) from None


def _check_document(tree: Any, label: str) -> None:
    """Refuse DTDs (entity tricks) and roots that are not JUnit."""
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise HostileReport(_hostile(label))
    root = tree.getroot()
    root_name = etree.QName(root).localname if root is not None else "(none)"
    if root_name not in JUNIT_ROOTS:
        raise NotJUnitReport(
            f"{label}: well-formed XML but not JUnit (root element <{root_name}>, "
            "expected <testsuites> or <testsuite>)"
        )


def _hostile(label: str) -> str:
    return (
        f"{label}: declares a DTD or entities, which test reports never need; refused "
        "without expanding or fetching anything"
    )


def _prolog_declares_dtd(head: bytes) -> bool:
    """Whether a DOCTYPE comes before the root element (caught before lxml sees the file)."""
    text = head.decode("latin-1")
    position = 0
    while (position := text.find("<", position)) != -1:
        following = text[position + 1 : position + 2]
        if following.isalpha():
            return False
        if text.startswith("<!DOCTYPE", position):
            return True
        position += 1
    return False


def _describe_syntax_error(label: str, exc: etree.XMLSyntaxError) -> str:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    message = (exc.msg or str(exc)).split(", line ")[0]
    if message.startswith("Unregistered error message"):
        # libxml2 has no text for some errors, e.g. a file cut off inside a CDATA section.
        message = "the file ends inside an unfinished construct (truncated report?)"
    if "ntity" in message or "DOCTYPE" in message:
        return (
            f"{label}: refused at line {line}, column {column}: {message} "
            "(entities and DTDs are never expanded)"
        )
    return f"{label}: malformed XML at line {line}, column {column}: {message}"


@dataclass(slots=True)
class _OpenSuite:
    element: Any
    name: str
    file: str | None
    properties: dict[str, str]
    tests: int = 0


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _enclosing_suite(elem: Any, open_suites: list[_OpenSuite]) -> _OpenSuite | None:
    """The open suite for a `<testsuite>` element, created the first time it is seen.

    Suites still open form a chain of ancestors, so the stack is cut back to the nearest
    one that is an ancestor of `elem` before pushing.
    """
    if elem is None or _local(elem.tag) != "testsuite":
        return None
    if open_suites and open_suites[-1].element is elem:
        return open_suites[-1]
    ancestors = [elem]
    parent = elem.getparent()
    while parent is not None and _local(parent.tag) == "testsuite":
        ancestors.append(parent)
        parent = parent.getparent()
    while open_suites and not any(open_suites[-1].element is a for a in ancestors):
        open_suites.pop()
    outer = open_suites[-1] if open_suites else None
    name = _cap(elem.get("name") or "") or (outer.name if outer else "")
    file = elem.get("file") or elem.get("filepath") or (outer.file if outer else None)
    suite = _OpenSuite(element=elem, name=name, file=_cap_opt(file), properties={})
    open_suites.append(suite)
    return suite


def _read_plain_case(elem: Any, suite: _OpenSuite | None) -> CaseResult:
    """A case without children: passed, or skipped by its `status` attribute."""
    get = elem.get
    status = get("status")
    classname = get("classname") or ""
    name = get("name") or get("id") or ""
    file = get("file") or (suite.file if suite else None)
    time = get("time") or get("duration")
    try:
        duration = float(time) if time else None  # the fast path; odd values go to _duration
    except ValueError:
        duration = _duration(time)
    return CaseResult(
        suite.name if suite else "",
        classname if len(classname) <= MAX_IDENTIFIER_CHARS else _cap(classname),
        name if len(name) <= MAX_IDENTIFIER_CHARS else _cap(name),
        _SKIPPED if status and status.strip().lower() in NOT_RUN_STATUSES else _PASSED,
        (file if len(file) <= MAX_IDENTIFIER_CHARS else _cap(file)) if file else None,
        duration if duration is None or 0 <= duration < _INF else None,
    )


def _read_case(elem: Any, suite: _OpenSuite | None) -> CaseResult:
    """A case with children, classified by junitparser's xunit2 vocabulary of child tags.

    The children are read straight from lxml: wrapping each in a junitparser object cost
    4 µs a case, more than the rest of the parse.
    """
    finals: dict[type, Any] = {}
    interim = 0
    flaky_runs = 0
    system_out = system_err = None
    properties: dict[str, str] = {}
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        local = tag.rpartition("}")[2]
        kind = _CHILD_KINDS.get(local)
        if kind is None:
            if local == "properties":
                properties.update(_read_properties(child))
            continue
        if kind in _FINAL_KINDS:
            finals.setdefault(kind, child)
        elif kind is junitparser.SystemOut:
            system_out = child.text if system_out is None else system_out
        elif kind is junitparser.SystemErr:
            system_err = child.text if system_err is None else system_err
        else:
            interim += 1
            flaky_runs += kind in _FLAKY_KINDS
    get = elem.get
    outcome, decisive = _outcome(finals, status=get("status"))
    file = get("file") or (suite.file if suite else None)
    details = _result_text(decisive)
    message = decisive.get("message") if decisive is not None else None
    if not message and details:
        message = details.lstrip().partition("\n")[0]  # e.g. a <failure> with text only
    return CaseResult(
        suite=suite.name if suite else "",
        classname=_cap(get("classname") or ""),
        name=_cap(get("name") or get("id") or ""),
        outcome=outcome,
        file=_cap(file) if file else None,
        duration=_duration(get("time") or get("duration")),
        message=_trim(message, MAX_MESSAGE_CHARS),
        failure_type=_cap_opt(decisive.get("type") if decisive is not None else None),
        details=_trim(details, MAX_DETAILS_CHARS),
        properties=properties,
        system_out=_trim(system_out, MAX_OUTPUT_CHARS),
        system_err=_trim(system_err, MAX_OUTPUT_CHARS),
        reruns=interim,
        flaky=outcome is Outcome.PASSED and flaky_runs > 0,
    )


def _outcome(finals: dict[type, Any], *, status: str | None) -> tuple[Outcome, Any]:
    """Failure, then error, then skipped; a not-run `status` with no result is skipped."""
    for kind, outcome in _FINAL_KINDS.items():
        if kind in finals:
            return outcome, finals[kind]
    if (status or "").strip().lower() in NOT_RUN_STATUSES:
        return Outcome.SKIPPED, None
    return Outcome.PASSED, None


def _result_text(result: Any) -> str | None:
    if result is None:
        return None
    text = result.text
    return text.strip() or None if isinstance(text, str) else None


def _read_properties(elem: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for prop in elem:
        if not isinstance(prop.tag, str) or etree.QName(prop).localname != "property":
            continue
        key = prop.get("name")
        if key:
            value = prop.get("value")
            found[key] = value if value is not None else (prop.text or "").strip()
    return found


def _forget(elem: Any) -> None:
    """Free a handled element and the siblings before it, so memory stays flat."""
    elem.clear(keep_tail=False)
    parent = elem.getparent()
    if parent is None:
        return
    while elem.getprevious() is not None:
        del parent[0]


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
    return value if value >= 0 and value != float("inf") else None


def _trim(text: str | None, limit: int) -> str | None:
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


def _cap_opt(text: str | None) -> str | None:
    return _cap(text) if text else None


def read_report(
    source: ReportSource, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ParsedReport:
    """Read a whole report into memory; raises `ReportError` like `iter_report`."""
    label = _label(source, name)
    report = ParsedReport(name=label)
    for item in iter_report(source, name=label, max_bytes=max_bytes):
        if isinstance(item, CaseResult):
            report.cases.append(item)
            report.totals.count(item.outcome)
        else:
            report.suites.append(item)
    return report


def summarize_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> FileSummary:
    """Count one file's cases; an unreadable file gets zero totals and the reason."""
    totals = Totals()
    try:
        for item in iter_report(path, name=str(path), max_bytes=max_bytes):
            if isinstance(item, CaseResult):
                totals.count(item.outcome)
    except ReportError as exc:
        return FileSummary(path=str(path), totals=Totals(), error=str(exc))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return FileSummary(path=str(path), totals=Totals(), error=f"{path}: cannot read: {reason}")
    return FileSummary(path=str(path), totals=totals)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FileSummary",
    "ParsedReport",
    "iter_report",
    "read_report",
    "summarize_file",
]
