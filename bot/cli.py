"""The `remediation-bot` command: thin, it parses arguments and calls the modules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot import junit
from bot.config import Settings
from bot.results import Totals

app = typer.Typer(
    name="remediation-bot",
    help="Keeps remediation issues true from CI test results.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)

FilesArg = Annotated[
    list[Path], typer.Argument(help="JUnit XML files.", exists=False, dir_okay=False)
]


@app.command("junit")
def junit_command(
    files: FilesArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
) -> None:
    """Parse JUnit files and print their totals (per file and overall)."""
    settings = Settings()
    summaries = [junit.summarize_file(path, max_bytes=settings.max_report_bytes) for path in files]
    overall = Totals()
    for summary in summaries:
        overall.add(summary.totals)
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


def _print_totals_table(summaries: list[junit.FileSummary], overall: Totals) -> None:
    out = Console()
    table = Table(title="JUnit results", show_lines=False)
    for column in ("file", "tests", "passed", "failed", "errors", "skipped"):
        table.add_column(column, justify="left" if column == "file" else "right")
    for summary in summaries:
        t = summary.totals
        table.add_row(
            escape(summary.path),
            *(str(n) for n in (t.tests, t.passed, t.failed, t.errors, t.skipped)),
        )
    table.add_row(
        "[bold]total[/bold]",
        *(
            f"[bold]{n}[/bold]"
            for n in (
                overall.tests,
                overall.passed,
                overall.failed,
                overall.errors,
                overall.skipped,
            )
        ),
    )
    out.print(table)
    for summary in summaries:
        if summary.error:
            err.print(f"[red]error[/red] {escape(summary.error)}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="remediation-bot")
