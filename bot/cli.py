"""The `remediation-bot` command: thin, it parses arguments and calls the modules."""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlmodel import Session

from bot.config import Settings
from bot.core import checklist, junit, summary, ticking
from bot.core import plan as plan_module
from bot.core.evaluate import Evaluation, RunInput, evaluate
from bot.core.junit import Report
from bot.core.repoconfig import RepoConfig, parse_config
from bot.core.results import CaseResult, SuiteResult, Totals
from bot.errors import ConfigurationError
from bot.store.ingest import RunMeta, ingest

app = typer.Typer(
    name="remediation-bot",
    help="Keeps remediation issues true from CI test results.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

FilesArg = Annotated[list[Path], typer.Argument(help="JUnit XML files.", dir_okay=False)]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="A .github/remediation.yml to apply.", dir_okay=False),
]


@contextmanager
def _store_session(settings: Settings) -> Iterator[Session]:
    """A session on the configured store, for one command; the engine goes with it."""
    from bot.store.engine import make_engine

    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


STATUS_MARKS = {"met": "[green]met[/]", "unmet": "[red]unmet[/]", "unknown": "[yellow]unknown[/]"}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            help="Web processes, each with its worker thread unless disabled. One is fastest "
            "on SQLite (writers queue on one file); use more on PostgreSQL."
        ),
    ] = 1,
) -> None:
    """Migrate the store, then serve webhooks, the API and (in-process) the job worker."""
    import uvicorn

    from bot.store.migrate import upgrade
    from bot.telemetry import configure_logging

    settings = Settings()
    configure_logging(settings)
    upgrade(settings.database_url)  # once, before any web process starts
    err.print(
        f"remediation-bot serving on http://{host}:{port} with {workers} process(es) "
        f"(store: {_where(settings)}, GitHub: {settings.github_mode.value})"
    )
    uvicorn.run(
        "bot.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # each process logs as LOG_FORMAT says (app_from_environment)
        # The bot logs each delivery itself, with its ids; a second, bare line per request
        # cost a fifth of the webhook throughput.
        access_log=False,
        # uvloop's libuv accepts one connection per loop iteration: under load, a burst of
        # new connections waited 40 ms per connection ahead of it (p99 0.3-1.1 s in
        # benchmarks/webhooks.py). asyncio accepts them all at once, at the same throughput.
        loop="asyncio",
    )


@app.command()
def worker(
    metrics_port: Annotated[
        int,
        typer.Option(help="Serve /healthz and /metrics on this port (0: not at all)."),
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port.")] = "0.0.0.0",  # noqa: S104 (probes and scrapes come from outside the pod)
) -> None:
    """Run a standalone worker (scale out: any number of them on PostgreSQL)."""
    import signal
    import threading

    from bot.github import GitHubFactory
    from bot.store.engine import make_engine
    from bot.store.migrate import is_current
    from bot.telemetry import configure_logging, serve_worker_endpoints
    from bot.worker.context import Context
    from bot.worker.loop import Worker

    settings = Settings()
    configure_logging(settings)
    engine = make_engine(settings.database_url)
    if metrics_port:
        serve_worker_endpoints(metrics_port, engine, host=metrics_host)
    if not is_current(engine):
        err.print("[red]The database is not migrated.[/] Run `remediation-bot migrate` first.")
        raise typer.Exit(code=1)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    runner = Worker(Context(engine=engine, settings=settings, github=GitHubFactory(settings)))
    err.print(f"worker {runner.name} polling {_where(settings)}")
    try:
        runner.run_forever(stop)
    finally:
        engine.dispose()


token_app = typer.Typer(help="Upload tokens for `POST /api/v1/runs`.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    repo: Annotated[str, typer.Argument(help="Repository as OWNER/NAME.")],
) -> None:
    """Create an upload token for a repository (shown once; only its hash is stored)."""
    from bot.store import repositories, tokens
    from bot.store.migrate import upgrade

    if repo.count("/") != 1 or not all(repo.split("/")):
        raise typer.BadParameter("expected OWNER/NAME", param_hint="REPO")
    settings = Settings()
    upgrade(settings.database_url)
    with _store_session(settings) as session:
        repository = repositories.upsert_repository(session=session, full_name=repo)
        token = tokens.create_token(session=session, repository=repository)
    err.print(f"Upload token for {escape(repo)} (store it now; it is not shown again):")
    typer.echo(token)


@app.command()
def demo() -> None:
    """Replay the reference issue and three CI runs offline, into the store, and show it."""
    from bot.demo import REPO, DemoStep, run_demo

    settings = Settings()

    def show(step: DemoStep) -> None:
        out.rule(f"run {step.run}: {step.passed}/{step.tests} passing")
        ticked = "; ".join(escape(text) for text in step.ticked) or "nothing yet"
        out.print(f"ticked by the bot so far: {ticked}")

    steps = run_demo(settings, on_step=show)
    if not steps:
        raise typer.Exit(code=1)
    out.rule("the summary comment the bot would post")
    typer.echo(steps[-1].comment)
    out.rule("the issue body with the boxes ticked (only checkbox characters changed)")
    typer.echo(steps[-1].body)
    out.rule("next")
    out.print(
        f"The story of {REPO}#870 is in {escape(_where(settings))}. Run `make run` (or "
        "`remediation-bot serve`) and open http://127.0.0.1:8000/ to see it in the dashboard; "
        "`GET /api/v1/issues` has the same comment and body as JSON."
    )


@app.command()
def migrate() -> None:
    """Apply database migrations (SQLite gets WAL mode here, once)."""
    from bot.store.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    out.print(f"Database at {_where(settings)} is at the newest migration.")


@app.command()
def requeue(
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only dead jobs of this kind (repeatable), e.g. sync_issue."),
    ] = None,
    job: Annotated[
        list[int] | None, typer.Option("--job", help="Only this dead job's id (repeatable).")
    ] = None,
) -> None:
    """Queue dead jobs again with fresh attempts, e.g. after a GitHub outage outlasted them."""
    from bot.store import queue

    with _store_session(Settings()) as session:
        count = queue.requeue_dead(session=session, kinds=kind or (), ids=job or ())
    out.print(
        f"Queued {count} dead job(s) again; a worker runs them now "
        "(`/dashboard/operations` shows how they do)."
    )


@app.command("junit")
def junit_command(
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
) -> None:
    """Parse JUnit files and print their totals (per file and overall)."""
    settings = Settings()
    summaries = [junit.summarize_file(path, max_bytes=settings.max_report_bytes) for path in files]
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
        _print_totals_table(summaries, overall)
    if summaries and all(s.error for s in summaries):
        raise typer.Exit(code=1)


@app.command("ingest")
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
    from bot.store.engine import make_engine
    from bot.store.migrate import upgrade

    if repo.count("/") != 1 or not all(repo.split("/")):
        raise typer.BadParameter("expected OWNER/NAME", param_hint="--repo")
    settings = Settings()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    meta = RunMeta(
        repo=repo,
        provider="cli",
        run_id=run_id or _local_run_id(files),
        attempt=attempt,
        head_sha=sha,
        branch=branch,
        url=url,
    )
    reports = [Report(name=str(path), source=path) for path in files]
    try:
        with Session(engine) as session, _progress() as progress:
            task = progress.add_task("storing test cases", total=None)
            outcome = ingest(
                session=session,
                meta=meta,
                reports=reports,
                max_bytes=settings.max_report_bytes,
                progress=lambda done: progress.update(task, completed=done),
            )
            run = outcome.run
    finally:
        engine.dispose()
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


@app.command("plan")
def plan_command(
    issue: Annotated[Path, typer.Argument(help="The issue body, as Markdown.", dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    config: ConfigOption = None,
) -> None:
    """Parse a remediation plan and print its phases, items and tracked tests."""
    plan, _ = _plan_with_config(_read_issue(issue), config)
    if as_json:
        typer.echo(json.dumps(plan.as_dict(), indent=2, ensure_ascii=False))
        return
    table = Table(title="Phases")
    for column in ("#", "title", "priority", "estimate", "names"):
        table.add_column(column)
    for phase in plan.phases:
        names = ", ".join([*phase.tests, *phase.identifiers][:6])
        table.add_row(
            escape(phase.label),
            escape(phase.title),
            escape(phase.priority or ""),
            escape(phase.estimate or ""),
            escape(names),
        )
    out.print(table)
    items = Table(title="Checklist")
    for column in ("#", "done", "item", "metric"):
        items.add_column(column)
    for item in plan.items:
        metric = item.metric.kind.value if item.metric else "manual"
        items.add_row(str(item.index), "x" if item.checked else "", escape(item.text), metric)
    out.print(items)
    out.print(f"Tracked tests: {escape(', '.join(plan.tests)) or 'none'}")


@app.command("evaluate")
def evaluate_command(
    issue: Annotated[Path, typer.Argument(help="The issue body, as Markdown.", dir_okay=False)],
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the evaluation.")] = False,
    comment: Annotated[bool, typer.Option("--comment", help="Print the summary comment.")] = False,
    body: Annotated[bool, typer.Option("--body", help="Print the body, boxes ticked.")] = False,
    config: ConfigOption = None,
) -> None:
    """Evaluate the plan against one run made of these files, offline."""
    if sum((as_json, comment, body)) > 1:
        raise typer.BadParameter("choose one of --json, --comment, --body")
    text = _read_issue(issue)
    plan, repo_config = _plan_with_config(text, config)
    settings = Settings()
    cases: list[CaseResult] = []
    suites: list[SuiteResult] = []
    for path in files:
        file_summary = junit.summarize_file(path, max_bytes=settings.max_report_bytes)
        if file_summary.error:
            err.print(f"[red]skipped[/] {escape(file_summary.error)}", highlight=False)
            continue
        parsed = junit.read_report(path, max_bytes=settings.max_report_bytes)
        cases.extend(parsed.cases)
        suites.extend(parsed.suites)
    evaluation = evaluate(
        plan,
        [RunInput(cases=cases, suites=suites, label="local run")],
        map_rules=repo_config.map_rules(),
        ignore=repo_config.ignore,
    )
    if as_json:
        typer.echo(json.dumps(evaluation.as_dict(), indent=2, ensure_ascii=False))
    elif comment:
        typer.echo(summary.render(evaluation, plan))
    elif body:
        decisions = ticking.decide(plan, [evaluation], streak=repo_config.tick_after)
        ticked = checklist.tick(text, decisions)
        # Bytes out exactly as they came in, mis-encoded sequences included.
        sys.stdout.buffer.write(ticked.encode("utf-8", errors="surrogateescape"))
        sys.stdout.flush()
    else:
        _print_evaluation(evaluation)


def _print_evaluation(evaluation: Evaluation) -> None:
    totals = evaluation.totals
    rate = f"{totals.pass_rate:.1%}" if totals.pass_rate is not None else "n/a"
    out.print(
        f"[bold]{totals.passed}/{totals.tests - totals.skipped} passing ({rate})[/], "
        f"{totals.failed} failed, {totals.errors} errors, {totals.skipped} skipped"
    )
    table = Table(title="Success metrics")
    for column in ("#", "status", "item", "evidence"):
        table.add_column(column)
    for item in evaluation.items:
        mark = STATUS_MARKS.get(item.status.value, item.status.value)
        table.add_row(str(item.index), mark, escape(item.text), escape(item.evidence))
    out.print(table)
    for phase in evaluation.phases:
        out.print(f"[bold]{escape(phase.label)}: {escape(phase.title)}[/]")
        for group in phase.groups:
            reason = f"[dim]({escape(group.reason)})[/]"
            out.print(f"  {len(group.tests)} × {escape(group.message)}  {reason}")
        if not phase.groups:
            out.print("  no failures mapped")
    if evaluation.unplanned:
        out.print("[bold red]Unplanned failures[/]")
        for group in evaluation.unplanned:
            out.print(f"  {len(group.tests)} × {escape(group.message)}")
    for note in evaluation.discrepancies:
        out.print(f"[yellow]note[/] {escape(note)}")


def _print_totals_table(summaries: list[junit.FileSummary], overall: Totals) -> None:
    table = Table(title="JUnit results")
    for column in ("file", "tests", "passed", "failed", "errors", "skipped"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for file_summary in summaries:
        t = file_summary.totals
        counts = (t.tests, t.passed, t.failed, t.errors, t.skipped)
        table.add_row(escape(file_summary.path), *(str(n) for n in counts))
    counts = (overall.tests, overall.passed, overall.failed, overall.errors, overall.skipped)
    table.add_row("[bold]total[/bold]", *(f"[bold]{n}[/bold]" for n in counts))
    out.print(table)
    for file_summary in summaries:
        if file_summary.error:
            err.print(f"[red]error[/red] {escape(file_summary.error)}", highlight=False)


def _plan_with_config(text: str, path: Path | None) -> tuple[plan_module.Plan, RepoConfig]:
    try:
        repo_config = parse_config(path.read_text(encoding="utf-8") if path else None)
    except (OSError, ConfigurationError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
    plain = plan_module.parse(text)
    overrides = repo_config.rule_overrides([item.text for item in plain.items])
    return (plan_module.parse(text, rule_overrides=overrides) if overrides else plain), repo_config


def _read_issue(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", errors="surrogateescape")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None


def _local_run_id(files: list[Path]) -> str:
    """A stable id for a local ingest: the same files (by content) make the same run."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path).encode())
        if path.is_file():
            with path.open("rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return "local-" + digest.hexdigest()[:12]


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed:,.0f}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _where(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="remediation-bot")
