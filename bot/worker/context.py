"""What every job handler gets (`Context`), and the repository configuration they all read."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.core.junit import artifacts
from bot.core.repoconfig import RepoConfig, parse_or_default
from bot.github import GitHubAPI, GitHubFactory
from bot.store import repositories
from bot.store.models import Repository, TrackedIssue

log = logging.getLogger(__name__)
CONFIG_PATH = ".github/remediation.yml"


@dataclass(frozen=True, slots=True)
class Context:
    """What handlers need; built once per worker."""

    engine: Engine
    settings: Settings
    github: GitHubFactory
    # Called after an issue is synced (the app uses it to warm the dashboard's cache).
    after_sync: Callable[[Session, Repository, TrackedIssue], None] | None = None

    def synced(self, session: Session, repository: Repository, issue: TrackedIssue) -> None:
        """Tell the app an issue changed; a failure here never fails the job."""
        if self.after_sync is None:
            return
        try:
            self.after_sync(session, repository, issue)
        except Exception:  # the warm-up is an optimisation: log and go on
            log.warning("after-sync hook failed", exc_info=True, extra={"issue": issue.number})

    @property
    def limits(self) -> artifacts.Limits:
        """Artifact limits from the settings."""
        return artifacts.Limits(
            max_total=self.settings.artifact_max_bytes,
            max_members=self.settings.artifact_max_members,
            max_ratio=self.settings.artifact_max_ratio,
        )


Handler = Callable[[Context, Session, dict[str, Any]], object]


def load_config(
    session: Session, gh: GitHubAPI | None, repository: Repository
) -> tuple[RepoConfig, str | None]:
    """The repository's configuration (cached a few minutes) and any problem reading it."""
    fresh, text = repositories.cached_config(repository)
    if not fresh and gh is not None:
        text = gh.get_file(repository.full_name, CONFIG_PATH)
        repositories.save_config(session=session, repository=repository, text=text)
    return parse_or_default(text)


def repo_config(
    context: Context, session: Session, repository: Repository, installation_id: int | None
) -> tuple[RepoConfig, str | None]:
    """`load_config`, opening a GitHub client only when the cached copy is stale."""
    fresh, _ = repositories.cached_config(repository)
    if fresh or not context.github.online:
        return load_config(session, None, repository)
    with context.github.client(installation_id or repository.installation_id) as gh:
        return load_config(session, gh, repository)
