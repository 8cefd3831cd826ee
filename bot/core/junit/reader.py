"""JUnit XML -> test results, streaming, for every dialect CI runners write.

No I/O beyond reading a file the caller names (no database, no network): it reads bytes
and yields plain data; the state machine lives in `bot.core.junit.target` (junitparser's
vocabulary, lxml's parser callbacks).
Rules, in one place:

- Totals come from the test cases, never from suite attributes (they often lie).
- A case with several result elements counts once: failure, then error, then skipped.
- A case whose `status` attribute says it did not run (`disabled`, `skipped`, `notrun`,
  `ignored`) and that has no failure or error counts as skipped; other `status` values
  (`run`, `passed`, Catch2's and Bazel's) leave the outcome to the child elements.
- Surefire's `rerunFailure`/`rerunError`/`flakyFailure`/`flakyError` never change the
  outcome; they are counted in `reruns`, and a passing case with flaky children is `flaky`.
- A DTD or entity declaration is refused: entities are never resolved, nothing is fetched.
- Memory stays flat: the report is fed to lxml in chunks and no tree is ever built.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from bot.core.junit.target import (
    JUnitTarget,
    hostile,
)
from bot.core.results import CaseResult, SuiteResult, Totals
from bot.errors import (
    HostileReport,
    MalformedReport,
    ReportError,
    ReportTooLarge,
)

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_PROLOG_BYTES = 64 * 1024
# Each chunk's results are handed out before the next is read. At a few hundred cases a
# chunk, a caller that drops each result keeps the garbage collector's young generation
# under its threshold (700 objects), so no collection walks them (256 KB chunks took 5%
# longer over 100k cases).
_CHUNK_BYTES = 64 * 1024
# What may come before a document's first `<`: byte order marks, the NULs of UTF-16 and
# UTF-32, whitespace.
_LEADING_BYTES = b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n"

ReportSource = Path | bytes | IO[bytes]


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
    # Flattened in C: the caller's loop resumes no Python frame per case, only per chunk.
    return chain.from_iterable(_batches(source, JUnitTarget(label), label, max_bytes))


def check_report(
    source: ReportSource, *, name: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> None:
    """Raise the `ReportError` reading the report would raise, keeping no result.

    A pass at parser speed, so that a large report is known to be readable before its
    cases are streamed into the store.
    """
    label = _label(source, name)
    for _ in _batches(source, _CheckingTarget(label), label, max_bytes):
        pass


class _CheckingTarget(JUnitTarget):
    """Checks the root and the DTD rule only; the rest of the document is merely parsed."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.root is None:
            super().start(tag, attrib)

    def end(self, tag: str) -> None:
        """Nothing to build."""


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


def _batches(
    source: ReportSource, target: JUnitTarget, label: str, max_bytes: int
) -> Iterator[list[CaseResult | SuiteResult]]:
    """Open the report and feed it to lxml in chunks; hand out what each chunk finished."""
    with _opened(source, label, max_bytes) as handle:
        yield from _parse(handle, target, label=label, max_bytes=max_bytes)


def _parse(
    handle: IO[bytes], target: JUnitTarget, *, label: str, max_bytes: int
) -> Iterator[list[CaseResult | SuiteResult]]:
    chunk = handle.read(_PROLOG_BYTES)
    if _prolog_declares_dtd(chunk):
        raise HostileReport(hostile(label))
    # An `&` is one 0x26 byte in every ASCII-compatible encoding and in UTF-16 and UTF-32;
    # only a document starting `<` in one of those (say, not EBCDIC) may skip the look.
    target.ampersands = chunk.lstrip(_LEADING_BYTES)[:1] != b"<"
    parser = etree.XMLParser(
        target=cast(Any, target),  # lxml-stubs' ParserTarget also wants comment(): not needed
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,  # a legitimate 10 MB system-out or 300-deep nesting is still read
        remove_comments=True,
        remove_pis=True,
    )
    seen = 0
    try:
        while chunk:
            seen += len(chunk)
            if seen > max_bytes:
                raise ReportTooLarge(_too_large(label, max_bytes))
            if not target.ampersands and b"&" in chunk:
                target.ampersands = True  # for the rest of the document
            parser.feed(chunk)
            target.release()
            if target.ready:
                yield target.ready.copy()
                target.ready.clear()
            chunk = handle.read(_CHUNK_BYTES)
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise MalformedReport(_describe_syntax_error(label, exc)) from None
    if target.root is None:
        raise MalformedReport(f"{label}: malformed XML: the file has no root element")
    if target.ready:
        yield target.ready.copy()
        target.ready.clear()


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
