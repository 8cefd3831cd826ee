"""The `remediation-bot` command: thin, it parses arguments and calls the modules.

The commands live in `service` (serve, worker, migrate, token, requeue, demo), `local`
(junit, ingest, plan, evaluate), `drafting` (draft) and `sync` (one reconciliation
against GitHub, no server); they are registered here, in the order `--help` lists them.
"""

from __future__ import annotations

import typer

from bot.cli import drafting, local, service, sync

app = typer.Typer(
    name="remediation-bot",
    help="Keeps remediation issues true from CI test results.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(service.serve)
app.command()(service.worker)
app.add_typer(service.token_app, name="token")
app.command()(service.demo)
app.command()(service.migrate)
app.command()(service.requeue)
app.command("junit")(local.junit_command)
app.command("ingest")(local.ingest_command)
app.command("plan")(local.plan_command)
app.command("evaluate")(local.evaluate_command)
app.command("draft")(drafting.draft_command)
app.command("sync")(sync.sync_command)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="remediation-bot")
