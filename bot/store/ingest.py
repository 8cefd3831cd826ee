"""Store one run made of several JUnit reports: bad reports are reported, good ones kept.

Shell module: it reads files or bytes and writes through `bot.store`. Small reports are
read into memory (a failure anywhere in one drops only that report); large ones are first
checked at bare-parser speed and then streamed, so memory stays flat whatever their size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.core import junit
from bot.core.junit import FileSummary, Report
from bot.core.results import CaseResult, SuiteResult, Totals
from bot.errors import ReportError
from bot.store import runs
from bot.store.models import Run

# Reports up to this size are parsed into memory in one go; larger ones are streamed.
IN_MEMORY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RunMeta:
    """What identifies and describes a run, whatever CI it came from."""

    repo: str
    provider: str
    run_id: str
    attempt: int = 1
    head_sha: str | None = None
    branch: str | None = None
    url: str | None = None
    workflow: str | None = None
    conclusion: str | None = None
    event: str | None = None
    head_repository: str | None = None
    started_at: datetime | None = None


@dataclass(slots=True)
class IngestOutcome:
    """The stored run, whether it was new, and what each report contributed."""

    run: Run
    created: bool
    files: list[FileSummary] = field(default_factory=list)

    @property
    def readable(self) -> int:
        """How many reports could be read."""
        return sum(1 for f in self.files if f.error is None)


def ingest(
    *,
    session: Session,
    meta: RunMeta,
    reports: Sequence[Report],
    max_bytes: int = junit.DEFAULT_MAX_BYTES,
    in_memory_bytes: int = IN_MEMORY_BYTES,
    progress: Callable[[int], None] | None = None,
) -> IngestOutcome:
    """Read the reports and store them as one run (idempotent on the run's identity)."""
    summaries: list[FileSummary] = []
    suites: list[SuiteResult] = []

    def cases() -> Iterator[CaseResult]:
        for report in reports:
            summary = FileSummary(path=report.name, totals=Totals())
            summaries.append(summary)
            try:
                yield from _read(report, summary.totals, suites, max_bytes, in_memory_bytes)
            except ReportError as exc:
                summary.error = str(exc)
                summary.totals = Totals()
            except OSError as exc:
                summary.error = f"{report.name}: cannot read: {exc.strerror or exc}"

    saved = runs.save_run(
        session=session,
        repo_full_name=meta.repo,
        provider=meta.provider,
        run_id=meta.run_id,
        attempt=meta.attempt,
        cases=cases(),
        suites=suites,
        head_sha=meta.head_sha,
        branch=meta.branch,
        url=meta.url,
        workflow=meta.workflow,
        conclusion=meta.conclusion,
        event=meta.event,
        head_repository=meta.head_repository,
        started_at=meta.started_at,
        progress=progress,
    )
    return IngestOutcome(run=saved.run, created=saved.created, files=summaries)


def _read(
    report: Report,
    totals: Totals,
    suites: list[SuiteResult],
    max_bytes: int,
    in_memory_bytes: int,
) -> Iterator[CaseResult]:
    """Cases of one report, yielded only once the whole report is known to be readable."""
    if report.size <= in_memory_bytes:
        parsed = junit.read_report(report.source, name=report.name, max_bytes=max_bytes)
        suites.extend(parsed.suites)
        totals.add(parsed.totals)
        yield from parsed.cases
        return
    junit.check_report(report.source, name=report.name, max_bytes=max_bytes)
    for item in junit.iter_report(report.source, name=report.name, max_bytes=max_bytes):
        if isinstance(item, CaseResult):
            totals.count(item.outcome)
            yield item
        else:
            suites.append(item)
