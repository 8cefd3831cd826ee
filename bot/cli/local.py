"""The local commands: read JUnit files, store a run, read a plan, evaluate it offline.

Its readers (`read_run`, `read_config`, `local_run_id`) serve `sync` as well.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # each command imports what it uses: `--help` and `plan` stay quick
    from bot.core import plan as plan_module
    from bot.core.evaluate import RunInput
    from bot.core.readings import Reading
    from bot.core.repoconfig import RepoConfig

FilesArg = Annotated[list[Path], typer.Argument(help="JUnit XML files.", dir_okay=False)]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="A .github/remediation.yml to apply.", dir_okay=False),
]


def junit_command(
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
) -> None:
    """Parse JUnit files and print their totals (per file and overall)."""
    from bot.core import junit
    from bot.core.results import Totals

    limit = report_limit()
    summaries = [junit.summarize_file(path, max_bytes=limit) for path in files]
    overall = Totals()
    for file_summary in summaries:
        overall.add(file_summary.totals)
    if as_json:
        payload = {
            "totals": overall.as_dict(),
            "files": [
                {"path": s.path, "totals": s.totals.as_dict(), "error": s.error} for s in summaries
            ],
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        from bot.cli.output import print_totals_table

        print_totals_table(summaries, overall)
    if summaries and all(s.error for s in summaries):
        raise typer.Exit(code=1)


def ingest_command(
    files: FilesArg,
    repo: Annotated[str, typer.Option(help="Repository as OWNER/NAME.")],
    run_id: Annotated[str | None, typer.Option(help="CI run id (default: a new local id).")] = None,
    attempt: Annotated[int, typer.Option(help="Run attempt.")] = 1,
    sha: Annotated[str | None, typer.Option(help="Head commit SHA.")] = None,
    branch: Annotated[str | None, typer.Option(help="Branch the run tested.")] = None,
    url: Annotated[str | None, typer.Option(help="Link to the run.")] = None,
) -> None:
    """Store one run made of these files (idempotent on repo, provider, run id, attempt)."""
    from rich.markup import escape

    from bot.cli.output import err, out, progress
    from bot.cli.store import check_repository_name, store_session
    from bot.config import Settings
    from bot.core.junit import Report
    from bot.store.ingest import RunMeta, ingest
    from bot.store.migrate import upgrade

    check_repository_name(repo, param_hint="--repo")
    settings = Settings()
    upgrade(settings.database_url)
    meta = RunMeta(
        repo=repo,
        provider="cli",
        run_id=run_id or local_run_id(files),
        attempt=attempt,
        head_sha=sha,
        branch=branch,
        url=url,
    )
    reports = [Report(name=str(path), source=path) for path in files]
    with store_session(settings) as session, progress() as bar:
        task = bar.add_task("storing test cases", total=None)
        outcome = ingest(
            session=session,
            meta=meta,
            reports=reports,
            max_bytes=settings.max_report_bytes,
            progress=lambda done: bar.update(task, completed=done),
        )
        run = outcome.run
    for file_summary in outcome.files:
        if file_summary.error:
            err.print(f"[red]skipped[/] {escape(file_summary.error)}", highlight=False)
    verb = "Stored" if outcome.created else "Already stored (nothing written):"
    out.print(
        f"{verb} run {escape(meta.run_id)} attempt {meta.attempt} of {escape(repo)}: "
        f"{run.tests} tests, {run.passed} passed, {run.failed} failed, {run.errors} errors, "
        f"{run.skipped} skipped."
    )
    if outcome.created and reports and outcome.readable == 0:
        raise typer.Exit(code=1)


def plan_command(
    issue: Annotated[Path, typer.Argument(help="The issue body, as Markdown.", dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    config: ConfigOption = None,
) -> None:
    """Parse a remediation plan and print its phases, items and tracked tests."""
    plan, readings, _ = _plan_with_config(_read_issue(issue), config)
    if as_json:
        data = plan.as_dict()
        for item, reading in zip(data["items"], readings, strict=True):
            item.update(reading.as_dict())
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        from bot.cli.output import print_plan

        print_plan(plan, readings)


def evaluate_command(
    issue: Annotated[Path, typer.Argument(help="The issue body, as Markdown.", dir_okay=False)],
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation.")] = False,
    comment: Annotated[bool, typer.Option("--comment", help="Print the summary comment.")] = False,
    body: Annotated[bool, typer.Option("--body", help="Print the body, boxes ticked.")] = False,
    config: ConfigOption = None,
) -> None:
    """Evaluate the plan against one run made of these files, offline."""
    from bot.core.evaluate import evaluate

    if sum((as_json, comment, body)) > 1:
        raise typer.BadParameter("choose one of --json, --comment, --body")
    text = _read_issue(issue)
    plan, readings, repo_config = _plan_with_config(text, config)
    evaluation = evaluate(
        plan,
        [read_run(files, label="local run")],
        map_rules=repo_config.map_rules(),
        ignore=repo_config.ignore,
    )
    if as_json:
        typer.echo(json.dumps(evaluation.as_dict(), indent=2, ensure_ascii=False))
    elif comment:
        from bot.core import summary

        typer.echo(summary.render(evaluation, plan, readings=readings))
    elif body:
        from bot.core import checklist, ticking

        decisions = ticking.decide(plan, [evaluation], streak=repo_config.tick_after)
        ticked = checklist.tick(text, decisions)
        # Bytes out exactly as they came in, mis-encoded sequences included.
        sys.stdout.buffer.write(ticked.encode("utf-8", errors="surrogateescape"))
        sys.stdout.flush()
    else:
        from bot.cli.output import print_evaluation

        print_evaluation(evaluation)


def read_run(files: list[Path], *, label: str) -> RunInput:
    """One run made of these JUnit files; a file that cannot be read is skipped, with why."""
    from bot.core import junit
    from bot.core.evaluate import RunInput
    from bot.core.results import CaseResult, SuiteResult

    limit = report_limit()
    cases: list[CaseResult] = []
    suites: list[SuiteResult] = []
    for path in files:
        file_summary = junit.summarize_file(path, max_bytes=limit)
        if file_summary.error:
            _skipped(file_summary.error)
            continue
        parsed = junit.read_report(path, max_bytes=limit)
        cases.extend(parsed.cases)
        suites.extend(parsed.suites)
    return RunInput(cases=cases, suites=suites, label=label)


def report_limit() -> int:
    """MAX_REPORT_BYTES, as the service reads it. The settings library loads only when the
    environment or a `.env` file may set it; otherwise the limit is the reader's default,
    which `Settings` shares (a test holds them equal)."""
    if any(name.upper() == "MAX_REPORT_BYTES" for name in os.environ) or Path(".env").is_file():
        from bot.config import Settings

        return Settings().max_report_bytes
    from bot.core.junit import DEFAULT_MAX_BYTES

    return DEFAULT_MAX_BYTES


def _skipped(error: str) -> None:
    from rich.markup import escape

    from bot.cli.output import err

    err.print(f"[red]skipped[/] {escape(error)}", highlight=False)


def read_config(path: Path | None) -> RepoConfig:
    """The repository configuration at `path` (defaults without one); a bad file is a usage
    error that says what is wrong."""
    from bot.core.repoconfig import parse_config
    from bot.errors import ConfigurationError

    try:
        return parse_config(path.read_text(encoding="utf-8") if path else None)
    except (OSError, ConfigurationError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None


def _plan_with_config(
    text: str, path: Path | None
) -> tuple[plan_module.Plan, tuple[Reading, ...], RepoConfig]:
    from bot.core import reconcile

    repo_config = read_config(path)
    plan, readings = reconcile.read_checklist(text, repo_config)
    return plan, readings, repo_config


def _read_issue(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None


def local_run_id(files: list[Path]) -> str:
    """A stable id for a local ingest: the same files (by content) make the same run."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path).encode())
        if path.is_file():
            with path.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return "local-" + digest.hexdigest()[:12]
