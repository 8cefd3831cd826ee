"""The JSON API: uploads from any CI, and what the bot knows and would write.

Uploads authenticate with a per-repository token (`remediation-bot token create`), are
read and stored at once (so the caller learns which files were unreadable), and then go
through the same pipeline as GitHub runs: a job syncs the repository's tracked issues.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session

from bot.core.events import JobKind
from bot.core.junit import Report
from bot.store import queue, tokens
from bot.store.ingest import IngestOutcome, RunMeta, ingest
from bot.store.models import Repository, Run
from bot.web.deps import SessionDep, SettingsDep


class FileResult(BaseModel):
    """One uploaded file: its totals, or why it could not be read."""

    name: str
    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    error: str | None = None


class UploadResult(BaseModel):
    """What an upload stored."""

    repository: str
    run_id: str
    attempt: int
    created: bool = Field(description="False when this run was already stored (nothing new).")
    totals: dict[str, int]
    files: list[FileResult]


def uploader(request: Request, db: SessionDep) -> Repository:
    """The repository whose upload token the request carries (401 otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in ("bearer", "token") or not token.strip():
        raise HTTPException(401, "send `Authorization: Bearer <upload token>`")
    repository = tokens.repository_for_token(session=db, token=token.strip())
    if repository is None:
        raise HTTPException(401, "unknown or revoked upload token")
    return repository


UploaderDep = Annotated[Repository, Depends(uploader)]

router = APIRouter(prefix="/api/v1", tags=["api"])


@router.post("/runs", status_code=202, response_model=UploadResult)
def upload_run(
    db: SessionDep,
    settings: SettingsDep,
    repository: UploaderDep,
    files: Annotated[list[UploadFile], File(description="JUnit XML files.")],
    run_id: Annotated[str, Form(min_length=1, max_length=200)],
    attempt: Annotated[int, Form(ge=1, le=1000)] = 1,
    sha: Annotated[str | None, Form(max_length=64)] = None,
    branch: Annotated[str | None, Form(max_length=255)] = None,
    url: Annotated[str | None, Form(max_length=2000)] = None,
    workflow: Annotated[str | None, Form(max_length=255)] = None,
) -> UploadResult:
    """Store one run made of JUnit files from any CI, then sync the tracked issues."""
    meta = RunMeta(
        repo=repository.full_name,
        provider="upload",
        run_id=run_id,
        attempt=attempt,
        head_sha=sha,
        branch=branch,
        url=url,
        workflow=workflow,
    )
    outcome = ingest(
        session=db,
        meta=meta,
        reports=_read_uploads(files, settings.max_report_bytes),
        max_bytes=settings.max_report_bytes,
    )
    if outcome.created:
        _enqueue_sync(db, repository, outcome.run, branch)
    return _upload_result(meta, outcome)


def _read_uploads(files: list[UploadFile], max_bytes: int) -> list[Report]:
    """The uploaded files as reports, read one byte past the limit so oversize shows."""
    return [
        Report(name=upload.filename or "upload.xml", source=upload.file.read(max_bytes + 1))
        for upload in files
    ]


def _enqueue_sync(session: Session, repository: Repository, run: Run, branch: str | None) -> None:
    """Queue the job that syncs the repository's tracked issues with a new uploaded run."""
    queue.enqueue(
        session=session,
        kind=JobKind.UPLOADED_RUN.value,
        payload={"repo": repository.full_name, "head_branch": branch, "run_pk": run.id},
        lock_key=f"{repository.full_name}:upload:{run.id}",
        dedupe_key=f"upload:{run.id}",
    )


def _upload_result(meta: RunMeta, outcome: IngestOutcome) -> UploadResult:
    """What the upload stored, per file and in total."""
    run = outcome.run
    return UploadResult(
        repository=meta.repo,
        run_id=meta.run_id,
        attempt=meta.attempt,
        created=outcome.created,
        totals={
            "tests": run.tests,
            "passed": run.passed,
            "failed": run.failed,
            "errors": run.errors,
            "skipped": run.skipped,
        },
        files=[FileResult(name=f.path, error=f.error, **f.totals.as_dict()) for f in outcome.files],
    )
