"""`remediation-bot sync`: one reconciliation from local JUnit files, with no server.

The core of the Action (`action.yml`). It authenticates with `GITHUB_TOKEN` against
`GITHUB_API_URL`, takes its defaults from the `GITHUB_*` variables Actions sets (and the
default branch from its event), and
keeps the history in the summary comment (`bot.worker.action`), or in the store when
`DATABASE_URL` is set (`bot.worker.issues`, as the App does).
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import local

if TYPE_CHECKING:  # the GitHub client and the store load when `sync` runs, not at start
    from bot.cli.publish import Result
    from bot.config import Settings
    from bot.core.repoconfig import RepoConfig
    from bot.worker import action

DEFAULT_CONFIG = Path(".github/remediation.yml")


class FailOn(StrEnum):
    """When `sync` exits non-zero: a regression gate without the Checks permission."""

    NEW_FAILURES = "new-failures"
    UNMET = "unmet"
    NEVER = "never"


def sync_command(
    patterns: Annotated[
        list[str], typer.Argument(help="JUnit XML files or globs.", metavar="JUNIT")
    ],
    repo: Annotated[
        str | None, typer.Option(envvar="GITHUB_REPOSITORY", help="Repository as OWNER/NAME.")
    ] = None,
    issue: Annotated[int | None, typer.Option(help="The issue to sync.", min=1)] = None,
    label: Annotated[
        str | None, typer.Option(help="Sync every open issue with this label.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            help="Settings file (default: .github/remediation.yml if present).", dir_okay=False
        ),
    ] = None,
    run_id: Annotated[str | None, typer.Option(envvar="GITHUB_RUN_ID", help="CI run id.")] = None,
    attempt: Annotated[
        int, typer.Option(envvar="GITHUB_RUN_ATTEMPT", help="Run attempt.", min=1)
    ] = 1,
    sha: Annotated[str | None, typer.Option(envvar="GITHUB_SHA", help="Head commit.")] = None,
    branch: Annotated[
        str | None, typer.Option(envvar="GITHUB_REF_NAME", help="Branch the run tested.")
    ] = None,
    url: Annotated[
        str | None, typer.Option(help="Link to the run (default: from GITHUB_*).")
    ] = None,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 on new failures or unmet items.")] = (
        FailOn.NEVER
    ),
) -> None:
    """Reconcile the issue (or every open issue with the label) with one run, from local files."""
    from rich.markup import escape
    from sqlalchemy.exc import SQLAlchemyError

    from bot.cli.output import err, out
    from bot.cli.publish import exit_code, publish
    from bot.cli.store import check_repository_name
    from bot.core import junit, syncstate
    from bot.errors import BotError
    from bot.worker import action

    if repo is None:
        raise typer.BadParameter("give --repo OWNER/NAME (or set GITHUB_REPOSITORY)")
    check_repository_name(repo, param_hint="--repo")
    if (issue is None) == (label is None):
        raise typer.BadParameter("give exactly one of --issue N or --label LABEL")
    settings = _settings()
    config_text, repo_config = _config(config)
    files = _expand(patterns)
    run_id = run_id or local.local_run_id(files)
    read = local.read_run(files, label=syncstate.run_label(run_id, attempt))
    # No case at all: tell an empty report from none readable (asked only then, rarely).
    if not read.cases and not any(junit.summarize_file(path).error is None for path in files):
        err.print(
            "[red]error[/] none of the JUnit files could be read; nothing synced", soft_wrap=True
        )
        raise typer.Exit(code=1)
    counting = repo_config.branches or _default_branch()
    if counting and branch and branch not in counting:
        out.print(
            f"Branch {escape(branch)} is not one of the branches whose runs count "
            f"({escape(', '.join(counting))}): nothing synced.",
            soft_wrap=True,
        )
        return
    run = replace(read, url=url or _run_url(repo, run_id, attempt))
    hand = action.RunInHand(run=run, key=f"{run_id}#{attempt}")
    try:
        if "database_url" in settings.model_fields_set:
            from bot.cli.storesync import RunFacts, sync_with_store

            facts = RunFacts(run_id=run_id, attempt=attempt, sha=sha, branch=branch, files=files)
            results = sync_with_store(settings, repo, (issue, label), hand, config_text, facts)
        else:
            results = _sync_with_comment(settings, repo, (issue, label), hand, repo_config)
    except (BotError, SQLAlchemyError) as exc:
        # A refusal by GitHub (404, 401, rate limit) or an unreachable store: said, not traced.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        err.print(f"[red]error[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    publish(results)
    raise typer.Exit(code=exit_code([r.evaluation for r in results], fail_on.value))


def _sync_with_comment(
    settings: Settings,
    repo: str,
    target: tuple[int | None, str | None],
    hand: action.RunInHand,
    config: RepoConfig,
) -> list[Result]:
    from rich.markup import escape

    from bot.cli.output import out
    from bot.cli.publish import Result
    from bot.github import GitHubFactory, IssueInfo
    from bot.worker import action

    number, label = target
    results: list[Result] = []
    with GitHubFactory(settings).client(None) as gh:
        issues: list[IssueInfo] = (
            [gh.get_issue(repo, number)]
            if number is not None
            else gh.list_issues(repo, label or "")
        )
        for info in issues:
            synced = action.sync_issue(gh, repo, info, hand, config)
            results.append(
                Result(
                    number=info.number,
                    evaluation=synced.evaluation,
                    comment=synced.comment,
                    writes=synced.writes,
                    ticked=synced.ticked,
                    skipped=synced.skipped,
                )
            )
    if not issues:
        out.print(
            f"No open issue of {escape(repo)} has the label {escape(label or '')}.", soft_wrap=True
        )
    return results


def _settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import GitHubMode, Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise typer.BadParameter(f"the settings are not usable: {problems}") from None
    if settings.github_mode is not GitHubMode.TOKEN:
        raise typer.BadParameter(
            "sync needs GITHUB_TOKEN (in Actions: `GITHUB_TOKEN: ${{ github.token }}`)"
        )
    return settings


def _config(path: Path | None) -> tuple[str | None, RepoConfig]:
    """The settings file's text and what it says (`.github/remediation.yml` if none given)."""
    from bot.core.repoconfig import RepoConfig

    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    if path is None:
        return None, RepoConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot read {path}: {exc.strerror}", param_hint="--config"
        ) from None
    return text, local.read_config(path)


def _expand(patterns: list[str]) -> list[Path]:
    """Files named, and files globs match (`**` included), each once, in a stable order."""
    from rich.markup import escape

    from bot.cli.output import err

    files: dict[Path, None] = {}
    for pattern in patterns:
        if glob.has_magic(pattern):
            matched = sorted(glob.glob(pattern, recursive=True))
            if not matched:
                err.print(f"[yellow]note[/] no file matches {escape(pattern)}", highlight=False)
            files.update((Path(m), None) for m in matched if Path(m).is_file())
        else:
            files[Path(pattern)] = None
    if not files:
        raise typer.BadParameter("no JUnit files match", param_hint="JUNIT...")
    return list(files)


def _default_branch() -> list[str]:
    """The repository's default branch, as the Actions event says (no API call for it).

    Without `branches:` configured the App counts the default branch's runs only; inside
    Actions the event payload names it, so a pull request's run ticks nothing here either.
    """
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return []
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        name = event["repository"]["default_branch"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [name] if isinstance(name, str) and name else []


def _run_url(repo: str, run_id: str, attempt: int) -> str | None:
    """The run's page, when Actions says where GitHub is (GITHUB_SERVER_URL)."""
    server = os.environ.get("GITHUB_SERVER_URL")
    if not server or not run_id.isdigit():
        return None
    tail = f"/attempts/{attempt}" if attempt > 1 else ""
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}{tail}"
