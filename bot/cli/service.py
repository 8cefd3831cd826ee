"""The service's commands: serve, worker, migrate, upload tokens, requeue, and the demo."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.store import check_repository_name, store_session, where


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

    from bot.cli.output import err
    from bot.config import Settings
    from bot.store.migrate import upgrade
    from bot.telemetry import configure_logging

    settings = Settings()
    configure_logging(settings)
    upgrade(settings.database_url)  # once, before any web process starts
    err.print(
        f"remediation-bot serving on http://{host}:{port} with {workers} process(es) "
        f"(store: {where(settings)}, GitHub: {settings.github_mode.value})"
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
        # Only these proxies may name the client (login limits, the Secure cookie); a
        # proxied request never counts as loopback either way (bot.web.access).
        proxy_headers=bool(settings.trusted_proxies.strip()),
        forwarded_allow_ips=settings.trusted_proxies.strip() or None,
    )


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

    from bot.cli.output import err
    from bot.config import Settings
    from bot.github import GitHubFactory
    from bot.store.engine import make_engine
    from bot.store.migrate import is_current
    from bot.telemetry import configure_logging, serve_worker_endpoints
    from bot.web.app import view_warmer
    from bot.web.dashboard.evaluations import EvaluationCache
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
    warm = view_warmer(settings, EvaluationCache())  # stores each synced issue's view
    context = Context(
        engine=engine, settings=settings, github=GitHubFactory(settings), after_sync=warm
    )
    runner = Worker(context)
    err.print(f"worker {runner.name} polling {where(settings)}")
    try:
        runner.run_forever(stop)
    finally:
        engine.dispose()


token_app = typer.Typer(help="Upload tokens for `POST /api/v1/runs`.", no_args_is_help=True)


@token_app.command("create")
def token_create(
    repo: Annotated[str, typer.Argument(help="Repository as OWNER/NAME.")],
) -> None:
    """Create an upload token for a repository (shown once; only its hash is stored)."""
    from rich.markup import escape

    from bot.cli.output import err
    from bot.config import Settings
    from bot.store import repositories, tokens
    from bot.store.migrate import upgrade

    check_repository_name(repo, param_hint="REPO")
    settings = Settings()
    upgrade(settings.database_url)
    with store_session(settings) as session:
        repository = repositories.upsert_repository(session=session, full_name=repo)
        token = tokens.create_token(session=session, repository=repository)
    err.print(f"Upload token for {escape(repo)} (store it now; it is not shown again):")
    typer.echo(token)


def demo() -> None:
    """Replay the reference issue and three CI runs offline, into the store, and show it."""
    from rich.markup import escape

    from bot.cli.output import out
    from bot.config import Settings
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
        f"The story of {REPO}#870 is in {escape(where(settings))}. Run `make run` (or "
        "`remediation-bot serve`) and open http://127.0.0.1:8000/ to see it in the dashboard; "
        "`GET /api/v1/issues` has the same comment and body as JSON."
    )


def migrate() -> None:
    """Apply database migrations (SQLite gets WAL mode here, once)."""
    from bot.cli.output import out
    from bot.config import Settings
    from bot.store.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url)
    out.print(f"Database at {where(settings)} is at the newest migration.")


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
    from bot.cli.output import out
    from bot.config import Settings
    from bot.store import queue

    with store_session(Settings()) as session:
        count = queue.requeue_dead(session=session, kinds=kind or (), ids=job or ())
    out.print(
        f"Queued {count} dead job(s) again; a worker runs them now "
        "(`/dashboard/operations` shows how they do)."
    )
