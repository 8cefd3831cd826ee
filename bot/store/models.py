"""SQLModel tables of the store: repositories, their CI runs, and each run's suites and cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so later alembic migrations can drop or alter them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no offset, so naive values read from it are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes and convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC values only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive; normalise PostgreSQL's session zone."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Repository(SQLModel, table=True):
    """A GitHub repository the bot has seen results for."""

    __tablename__ = "repositories"

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(unique=True)
    installation_id: int | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    default_branch: str | None = None
    # `.github/remediation.yml` as last fetched (None: absent), cached to save API calls.
    config_text: str | None = Field(default=None, sa_type=Text)
    config_fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Run(SQLModel, table=True):
    """One attempt of one CI run (or upload) of a repository, with totals over its cases."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("repository_id", "provider", "run_id", "attempt"),
        Index("ix_runs_repository_id_created_at", "repository_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    repository_id: int = Field(foreign_key="repositories.id", ondelete="CASCADE")
    provider: str
    run_id: str
    attempt: int = 1
    head_sha: str | None = None
    branch: str | None = None
    workflow: str | None = None
    event: str | None = None
    url: str | None = None
    conclusion: str | None = None
    # The repository the tested commit came from: a fork's runs never tick boxes.
    head_repository: str | None = None
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class CaseResultRow(SQLModel, table=True):
    """One test case's result within one run (a stored `bot.core.results.CaseResult`)."""

    __tablename__ = "case_results"
    __table_args__ = (
        Index("ix_case_results_run_pk_outcome", "run_pk", "outcome"),
        Index("ix_case_results_test_id_run_pk", "test_id", "run_pk"),
        # Partial: flips are a few percent of the rows, and flake ranking reads only those.
        Index(
            "ix_case_results_flipped",
            "run_pk",
            "test_id",
            sqlite_where=text("flipped = 1"),
            postgresql_where=text("flipped"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(foreign_key="runs.id", ondelete="CASCADE")
    test_id: str
    suite: str
    classname: str
    name: str
    file: str | None = None
    outcome: str
    duration: float | None = None
    message: str | None = Field(default=None, sa_type=Text)
    failure_type: str | None = None
    details: str | None = Field(default=None, sa_type=Text)
    system_out: str | None = Field(default=None, sa_type=Text)
    system_err: str | None = Field(default=None, sa_type=Text)
    properties: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reruns: int = 0
    flaky: bool = False
    # Outcome differs from this test's previous run in the same repository (set at ingest).
    flipped: bool = False


class SuiteRow(SQLModel, table=True):
    """A `<testsuite>` of one run, kept for its properties (memory figures often live there)."""

    __tablename__ = "suites"

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(foreign_key="runs.id", ondelete="CASCADE", index=True)
    name: str
    properties: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tests: int = 0


class Delivery(SQLModel, table=True):
    """A webhook delivery as received, idempotent on GitHub's `X-GitHub-Delivery`."""

    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(unique=True)
    event: str
    action: str | None = None
    repository: str | None = None
    installation_id: int | None = Field(default=None, sa_type=BigInteger)
    outcome: str  # queued | ignored
    reason: str | None = None
    received_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)


class Job(SQLModel, table=True):
    """Durable work for the worker: claimed with a lease, retried with backoff, then dead."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_run_after", "status", "run_after"),
        Index("ix_jobs_lock_key_status", "lock_key", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Jobs sharing a lock key run one at a time (one issue's work is serialized).
    lock_key: str
    # Enqueueing twice with the same key creates one job (e.g. a redelivered webhook).
    dedupe_key: str | None = Field(default=None, unique=True)
    status: str = "queued"  # queued | running | done | dead
    attempts: int = 0
    max_attempts: int = 6
    run_after: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker: str | None = None
    last_error: str | None = Field(default=None, sa_type=Text)
    delivery_id: str | None = None
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TrackedIssue(SQLModel, table=True):
    """An issue the bot knows, whether it is tracked, and what the bot last wrote to it."""

    __tablename__ = "tracked_issues"
    __table_args__ = (UniqueConstraint("repository_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    repository_id: int = Field(foreign_key="repositories.id", ondelete="CASCADE")
    number: int
    title: str = ""
    state: str = "open"
    labelled: bool = False  # carries the tracking label
    command_tracking: str | None = None  # "track" | "untrack" by command, None: follow label
    # The body as last read from GitHub or registered offline (the plan, when offline).
    body: str | None = Field(default=None, sa_type=Text)
    comment_id: int | None = Field(default=None, sa_type=BigInteger)
    # Texts of the items the bot ticked itself (a person's ticks are never undone).
    bot_ticked: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    desired_comment: str | None = Field(default=None, sa_type=Text)
    desired_body: str | None = Field(default=None, sa_type=Text)
    last_run_pk: int | None = None
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    # Opened by the bot (`open_issues`) for these failure signatures: none gets a second.
    opened_by_bot: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    covers: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    # `close_when_met`: the bot closed it; a person reopened it after that (never again).
    closed_by_bot: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    keep_open: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    @property
    def tracked(self) -> bool:
        """Tracked by command, or by label unless a command opted it out."""
        if self.command_tracking is not None:
            return self.command_tracking == "track"
        return self.labelled


class StoredEvaluation(SQLModel, table=True):
    """An issue's newest evaluation as the dashboard shows it, and the inputs it came from.

    One row per issue, replaced when any input (body, runs, configuration, rules, the bot's
    version) changes, so a restarted or second web process need not evaluate again.
    """

    __tablename__ = "stored_evaluations"

    issue_id: int = Field(foreign_key="tracked_issues.id", ondelete="CASCADE", primary_key=True)
    key: str  # SHA-256 of every input of the evaluation
    run_pk: int  # the run evaluated
    view: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class UploadToken(SQLModel, table=True):
    """A per-repository token for the upload API; only its SHA-256 is stored."""

    __tablename__ = "upload_tokens"

    id: int | None = Field(default=None, primary_key=True)
    repository_id: int = Field(foreign_key="repositories.id", ondelete="CASCADE")
    token_hash: str = Field(unique=True)
    prefix: str
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IssueRule(SQLModel, table=True):
    """A maintainer's command that later evaluations obey (map, ignore, tick, untick, rule)."""

    __tablename__ = "issue_rules"

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="tracked_issues.id", ondelete="CASCADE", index=True)
    kind: str  # map | ignore | tick | untick | rule
    pattern: str | None = None  # map, ignore: the test pattern
    phase: int | None = None  # map: the phase number
    item_text: str | None = None  # tick, untick, rule: the checklist item's text
    reason: str | None = None  # ignore: why; rule: the rule's text
    author: str = ""
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A GitHub user signed in to the dashboard; the cookie holds only the session's id.

    Only the id's SHA-256 is stored, and the user's tokens only sealed (Fernet, bot.web):
    a copy of the database opens no session and reveals no token.
    """

    __tablename__ = "web_sessions"

    id_hash: str = Field(primary_key=True)
    login: str
    user_id: int = Field(sa_type=BigInteger)
    access_token_sealed: str = Field(sa_type=Text)
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_token_sealed: str | None = Field(default=None, sa_type=Text)
    refresh_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What GitHub last said the user may read, and when it said so.
    readable: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    operator: bool = False
    access_fetched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class OAuthAttempt(SQLModel, table=True):
    """A sign-in begun in one browser, waiting for GitHub's callback; used at most once.

    Keyed by the `state`'s SHA-256, bound to a nonce kept in that browser's cookie (also
    hashed); the PKCE verifier is sealed.
    """

    __tablename__ = "oauth_attempts"

    state_hash: str = Field(primary_key=True)
    browser_hash: str
    verifier_sealed: str = Field(sa_type=Text)
    next_path: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, index=True)


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy Table behind a SQLModel table class (typed; SQLModel leaves it Any)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
