"""Uploads from any CI: JUnit files sent with a per-repository token.

Uploads authenticate with a per-repository token (`remediation-bot token create`), are
read and stored at once (so the caller learns which files were unreadable), and then go
through the same pipeline as GitHub runs: a job syncs the repository's tracked issues.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bot.config import Settings
from bot.core.events import JobKind
from bot.core.junit import Report
from bot.store import queue, tokens
from bot.store.ingest import IngestOutcome, RunMeta, ingest
from bot.store.models import Repository, Run
from bot.web.deps import SessionDep, SettingsDep
from bot.web.limits import BodyTooLarge, bounded


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


class UploadForm(BaseModel):
    """The upload's form fields (the files come as `files` parts)."""

    run_id: str = Field(min_length=1, max_length=200)
    attempt: int = Field(default=1, ge=1, le=1000)
    sha: str | None = Field(default=None, max_length=64)
    branch: str | None = Field(default=None, max_length=255)
    url: str | None = Field(default=None, max_length=2000)
    workflow: str | None = Field(default=None, max_length=255)


MAX_FILES = 1000  # JUnit files in one upload
# The body is read by hand (after the token check), so its schema is written out here.
_FORM_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["run_id", "files"],
                    "properties": {
                        **UploadForm.model_json_schema()["properties"],
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "JUnit XML files.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/runs",
    status_code=202,
    response_model=UploadResult,
    openapi_extra=_FORM_SCHEMA,
    responses={413: {"description": "The body is over MAX_UPLOAD_BYTES."}},
)
async def upload_run(
    request: Request, settings: SettingsDep, repository: UploaderDep
) -> UploadResult:
    """Store one run made of JUnit files from any CI, then sync the tracked issues.

    The token is checked before a byte of the body is read, and the body is read within
    MAX_UPLOAD_BYTES as it streams.
    """
    form, reports = await _read_form(request, settings)
    meta = RunMeta(
        repo=repository.full_name,
        provider="upload",
        run_id=form.run_id,
        attempt=form.attempt,
        head_sha=form.sha,
        branch=form.branch,
        url=form.url,
        workflow=form.workflow,
    )
    return await run_in_threadpool(_store, request, settings, repository, meta, reports)


async def _read_form(request: Request, settings: Settings) -> tuple[UploadForm, list[Report]]:
    """The validated fields and the files as reports, or 413 (too large) / 422 (what was wrong)."""
    try:
        parts = await bounded(request, settings.max_upload_bytes).form(
            max_files=MAX_FILES, max_fields=20
        )
    except BodyTooLarge as exc:
        raise HTTPException(413, f"the upload is over MAX_UPLOAD_BYTES ({exc})") from None
    try:
        fields = {k: v for k, v in parts.multi_items() if isinstance(v, str)}
        files = [v for k, v in parts.multi_items() if k == "files" and not isinstance(v, str)]
        try:
            form = UploadForm.model_validate(fields)
        except ValidationError as exc:
            raise HTTPException(422, exc.errors(include_url=False, include_input=False)) from None
        if not files:
            raise HTTPException(422, "send at least one JUnit file as a `files` part")
        return form, [await _report(upload, settings.max_report_bytes) for upload in files]
    finally:
        await parts.close()


async def _report(upload: UploadFile, max_bytes: int) -> Report:
    """One uploaded file as a report, read one byte past the limit so oversize shows."""
    return Report(name=upload.filename or "upload.xml", source=await upload.read(max_bytes + 1))


def _store(
    request: Request,
    settings: Settings,
    repository: Repository,
    meta: RunMeta,
    reports: list[Report],
) -> UploadResult:
    """Ingest the run and queue its sync (also when the run was stored by an earlier try)."""
    with Session(request.app.state.context.engine) as session:
        outcome = ingest(
            session=session, meta=meta, reports=reports, max_bytes=settings.max_report_bytes
        )
        # Always, under the run's dedupe key: a process that died between storing the run and
        # queueing its sync left a stored run whose retry would otherwise queue nothing.
        _enqueue_sync(session, repository, outcome.run, meta.branch)
        return _upload_result(meta, outcome)


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
