"""CI artifacts -> JUnit reports: unzip in memory within limits, find reports by content.

Pure module, no I/O: bytes in, reports out. Artifact zips from forks are untrusted input, so the
member count, each member's declared and actual size, the total, and the compression ratio
are all bounded (zip bombs), and nothing is ever written to disk (no zip-slip).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatchcase

from bot.core.junit import Report
from bot.errors import ArtifactError, ArtifactTooLarge

# A member this small may compress very well legitimately; the ratio check starts above it.
RATIO_CHECK_FROM = 1024 * 1024
SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one artifact's contents."""

    max_total: int = 500 * 1024 * 1024
    max_members: int = 10_000
    max_ratio: int = 200


def selected(name: str, globs: list[str]) -> bool:
    """Whether an artifact name matches one of the configured globs (default: all)."""
    return any(fnmatchcase(name, glob) for glob in globs or ["*"])


def looks_like_junit(head: bytes) -> bool:
    """Cheap sniff of a file's first bytes: a JUnit root element appears early on."""
    sample = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return sample.startswith(b"<") and b"<testsuite" in sample


def junit_reports(data: bytes, *, artifact: str, limits: Limits) -> list[Report]:
    """The JUnit reports inside an artifact zip, found by content, not by file name.

    Raises `ArtifactTooLarge` past a limit and `ArtifactError` when it is not a zip.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ArtifactError(f"artifact {artifact} is not a readable zip: {exc}") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.max_members:
            raise ArtifactTooLarge(
                f"artifact {artifact} has {len(members):,} files (limit {limits.max_members:,})"
            )
        declared = sum(m.file_size for m in members)
        if declared > limits.max_total:
            raise ArtifactTooLarge(
                f"artifact {artifact} unpacks to {declared:,} bytes (limit {limits.max_total:,})"
            )
        reports: list[Report] = []
        budget = limits.max_total
        for member in members:
            _check_ratio(member, artifact, limits)
            content = _read(archive, member, budget, artifact)
            budget -= len(content)
            if looks_like_junit(content):
                reports.append(Report(name=f"{artifact}/{member.filename}", source=content))
        return reports


def _check_ratio(member: zipfile.ZipInfo, artifact: str, limits: Limits) -> None:
    if member.file_size < RATIO_CHECK_FROM:
        return
    ratio = member.file_size / max(member.compress_size, 1)
    if ratio > limits.max_ratio:
        raise ArtifactTooLarge(
            f"artifact {artifact}: {member.filename} expands {ratio:,.0f}x "
            f"(limit {limits.max_ratio}x), refused as a zip bomb"
        )


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: int, artifact: str) -> bytes:
    """Read a member, never past the remaining budget even if its header lies."""
    try:
        with archive.open(member) as handle:
            content = handle.read(budget + 1)
    # zipfile raises NotImplementedError for compression methods it lacks (e.g. deflate64).
    except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
        raise ArtifactError(f"artifact {artifact}: cannot read {member.filename}: {exc}") from None
    if len(content) > budget:
        raise ArtifactTooLarge(f"artifact {artifact} unpacks past its size limit")
    return content
