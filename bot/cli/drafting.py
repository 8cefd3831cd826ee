"""`remediation-bot draft`: a remediation issue drafted from a red run, printed to paste."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.local import ConfigOption, FilesArg, read_config, read_run

if TYPE_CHECKING:
    from bot.core.evaluate import RunInput


def draft_command(
    files: FilesArg,
    previous: Annotated[
        list[Path] | None,
        typer.Option(
            "--previous", help="JUnit files of the run before (repeat the option).", dir_okay=False
        ),
    ] = None,
    title: Annotated[str | None, typer.Option(help="The issue's title.")] = None,
    config: ConfigOption = None,
) -> None:
    """Draft a remediation issue from a run's JUnit files: results, causes, phases, metrics."""
    from bot.cli.output import err
    from bot.core import draft

    repo_config = read_config(config)
    run = _without_ignored(read_run(files, label="this run"), repo_config.ignore)
    if not run.cases:
        err.print("[red]no test cases[/] in those files: nothing to draft from", highlight=False)
        raise typer.Exit(code=1)
    before = (
        _without_ignored(read_run(previous, label="previous run"), repo_config.ignore)
        if previous
        else None
    )
    body = draft.render(run, previous=before, title=title)
    typer.echo(body, nl=False)


def _without_ignored(run: RunInput, patterns: Sequence[str]) -> RunInput:
    """The run without the tests the repository's configuration ignores."""
    from bot.core.mapping import is_ignored

    if not patterns:
        return run
    kept = [case for case in run.cases if not is_ignored(case, patterns)]
    return dataclasses.replace(run, cases=kept)
