"""`close_when_met`: close a tracked issue once its plan is done, and never fight a person.

Shell module around `bot.core.closing`. After a sync has written the body, an issue whose
every item is met and ticked is closed with a final comment; the record remembers that the
bot closed it, and a person reopening it afterwards keeps it open for good.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.core import closing
from bot.core.evaluate import Evaluation
from bot.core.repoconfig import RepoConfig
from bot.github import GitHubAPI
from bot.store import repositories
from bot.store.models import Repository, TrackedIssue

log = logging.getLogger(__name__)


def close_if_done(
    session: Session,
    gh: GitHubAPI,
    repository: Repository,
    issue: TrackedIssue,
    body: str,
    evaluation: Evaluation,
    config: RepoConfig,
) -> bool:
    """Close the issue when the configuration asks for it and its plan is done."""
    if not config.close_when_met or issue.keep_open or issue.state != "open":
        return False
    if not closing.finished(body, evaluation):
        return False
    gh.create_comment(repository.full_name, issue.number, closing.final_comment(evaluation))
    gh.close_issue(repository.full_name, issue.number)
    issue.state = "closed"
    issue.closed_by_bot = True
    repositories.save_issue(session=session, issue=issue)
    log.info(
        "issue closed: every criterion met",
        extra={"repository": repository.full_name, "issue": issue.number},
    )
    return True


def note_reopened(session: Session, issue: TrackedIssue, *, by_a_person: bool) -> None:
    """A person reopened what the bot closed: the bot never closes it again."""
    if issue.closed_by_bot and by_a_person and not issue.keep_open:
        issue.keep_open = True
        repositories.save_issue(session=session, issue=issue)
