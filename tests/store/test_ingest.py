"""Ingesting runs made of several reports into the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from bot.core.junit import Report
from bot.store import runs
from bot.store.ingest import RunMeta, ingest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RUN1 = sorted((FIXTURES / "seed-story" / "run1").glob("*.xml"))
META = RunMeta(repo="acme/agents", provider="cli", run_id="870", head_sha="abc123", branch="main")


def _reports(paths: list[Path]) -> list[Report]:
    return [Report(name=p.name, source=p) for p in paths]


@pytest.mark.parametrize("in_memory_bytes", [8 * 1024 * 1024, 0], ids=["in-memory", "streamed"])
def test_seed_run_is_stored_with_totals_from_cases(session: Session, in_memory_bytes: int) -> None:
    outcome = ingest(
        session=session, meta=META, reports=_reports(RUN1), in_memory_bytes=in_memory_bytes
    )
    assert outcome.created
    run = outcome.run
    assert (run.tests, run.passed, run.failed, run.errors, run.skipped) == (14, 6, 7, 1, 0)
    assert [f.totals.tests for f in outcome.files] == [5, 4, 4, 1]
    stored = runs.results_for_run(session=session, run_pk=run.id or 0)
    assert len(stored) == 14
    suites = runs.suites_for_run(session=session, run_pk=run.id or 0)
    assert {s.properties.get("peak_rss_mb") for s in suites} == {"231.5", "228.4", "215.5", "214.6"}


def test_ingest_is_idempotent_on_the_run_identity(session: Session) -> None:
    first = ingest(session=session, meta=META, reports=_reports(RUN1))
    again = ingest(session=session, meta=META, reports=_reports(RUN1))
    assert not again.created
    assert again.run.id == first.run.id
    assert len(runs.list_runs(session=session, repo_full_name="acme/agents")) == 1


@pytest.mark.parametrize("in_memory_bytes", [8 * 1024 * 1024, 0], ids=["in-memory", "streamed"])
def test_bad_reports_are_reported_and_good_ones_kept(
    session: Session, tmp_path: Path, in_memory_bytes: int
) -> None:
    truncated = tmp_path / "truncated.xml"
    good = RUN1[0].read_bytes()
    truncated.write_bytes(good[: len(good) // 2])
    hostile = tmp_path / "hostile.xml"
    hostile.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><testsuite/>')
    not_junit = FIXTURES / "junit/publish-unit-test-result-action/junit-xml/non-junit.xml"
    reports = [
        Report("truncated.xml", truncated),
        *_reports(RUN1),
        Report("hostile.xml", hostile),
        Report("non-junit.xml", not_junit),
        Report("upload.bin", b"\x00\x01garbage"),
    ]
    outcome = ingest(session=session, meta=META, reports=reports, in_memory_bytes=in_memory_bytes)
    assert outcome.run.tests == 14
    errors = {f.path: f.error for f in outcome.files if f.error}
    assert set(errors) == {"truncated.xml", "hostile.xml", "non-junit.xml", "upload.bin"}
    assert "malformed XML at line" in errors["truncated.xml"]
    assert "DTD" in errors["hostile.xml"]
    assert "not JUnit" in errors["non-junit.xml"]
    assert all(f.totals.tests == 0 for f in outcome.files if f.error)


def test_oversized_report_is_refused_but_the_run_is_kept(session: Session) -> None:
    reports = [
        *_reports(RUN1[:1]),
        Report("huge.xml", b"<testsuite>" + b" " * 50_000 + b"</testsuite>"),
    ]
    outcome = ingest(session=session, meta=META, reports=reports, max_bytes=20_000)
    assert outcome.run.tests == 5
    (refused,) = [f for f in outcome.files if f.error]
    assert "20,000-byte limit" in (refused.error or "")


def test_progress_is_reported(session: Session) -> None:
    seen: list[int] = []
    ingest(session=session, meta=META, reports=_reports(RUN1), progress=seen.append)
    assert seen
    assert seen[-1] == 14
