"""Artifact zips: JUnit found by content, and bombs, floods and junk refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from bot.core.junit import artifacts
from bot.errors import ArtifactError, ArtifactTooLarge

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LIMITS = artifacts.Limits(max_total=20 * 1024 * 1024, max_members=100, max_ratio=200)


def _zip(members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_junit_files_are_found_by_content_not_by_name() -> None:
    junit = (FIXTURES / "seed-story/run1/junit-engine.xml").read_bytes()
    data = _zip(
        {
            "results/report.xml": junit,
            "results/no-extension": junit,
            "results/coverage.xml": b'<?xml version="1.0"?><coverage line-rate="0.9"/>',
            "results/log.txt": b"plain text",
            "results/empty/": b"",
        }
    )
    reports = artifacts.junit_reports(data, artifact="test-results", limits=LIMITS)
    assert [r.name for r in reports] == [
        "test-results/results/report.xml",
        "test-results/results/no-extension",
    ]


def test_zip_bomb_is_refused_by_its_compression_ratio() -> None:
    bomb = _zip({"bomb.xml": b"<testsuite>" + b" " * (10 * 1024 * 1024) + b"</testsuite>"})
    with pytest.raises(ArtifactTooLarge, match="zip bomb"):
        artifacts.junit_reports(bomb, artifact="evil", limits=LIMITS)


def test_too_much_unpacked_data_is_refused() -> None:
    stored = _zip({f"f{n}.xml": b"x" * 1024 * 1024 for n in range(25)}, method=zipfile.ZIP_STORED)
    with pytest.raises(ArtifactTooLarge, match="unpacks to"):
        artifacts.junit_reports(stored, artifact="big", limits=LIMITS)


def test_thousands_of_members_are_refused() -> None:
    flood = _zip({f"f{n}.xml": b"<testsuite/>" for n in range(1500)})
    with pytest.raises(ArtifactTooLarge, match="1,500 files"):
        artifacts.junit_reports(flood, artifact="flood", limits=LIMITS)


def test_a_lying_header_cannot_exceed_the_budget() -> None:
    limits = artifacts.Limits(max_total=1000, max_members=10, max_ratio=10**6)
    data = _zip({"a.xml": b"<testsuite>" + b"a" * 5000 + b"</testsuite>"})
    with pytest.raises(ArtifactTooLarge):
        artifacts.junit_reports(data, artifact="liar", limits=limits)


@pytest.mark.parametrize("junk", [b"", b"not a zip at all", b"PK\x03\x04broken", bytes(range(256))])
def test_junk_is_not_a_zip(junk: bytes) -> None:
    with pytest.raises(ArtifactError, match="not a readable zip"):
        artifacts.junit_reports(junk, artifact="junk", limits=LIMITS)


def test_zip_slip_names_stay_names() -> None:
    junit = (FIXTURES / "seed-story/run1/junit-websocket.xml").read_bytes()
    data = _zip({"../../etc/cron.d/evil.xml": junit, "/abs/path.xml": junit})
    reports = artifacts.junit_reports(data, artifact="slip", limits=LIMITS)
    assert len(reports) == 2  # read in memory only: nothing is ever written anywhere


@pytest.mark.parametrize(
    ("name", "globs", "expected"),
    [
        ("junit-results", ["*"], True),
        ("junit-results", ["junit-*"], True),
        ("coverage", ["junit-*", "test-results"], False),
        ("anything", [], True),
    ],
)
def test_artifact_name_globs(name: str, globs: list[str], expected: bool) -> None:
    assert artifacts.selected(name, globs) is expected
