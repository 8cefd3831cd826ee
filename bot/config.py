"""Settings: one typed object read from the environment (and `.env`), never at import."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./remediation.db"
# Values copied from examples must never reach production.
PLACEHOLDER_SECRETS = frozenset({"changeme", "change-me", "secret", "xxx", "your-secret-here"})


class GitHubMode(StrEnum):
    """How the bot talks to GitHub."""

    APP = "app"  # GitHub App: app id + private key -> installation tokens
    TOKEN = "token"  # a personal access token, for a single repository
    OFFLINE = "offline"  # no credentials: evaluate and keep what would be written


class LogFormat(StrEnum):
    """How log lines are written."""

    TEXT = "text"
    JSON = "json"


class Settings(BaseSettings):
    """Every knob of the bot; each one is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the store: SQLite file (default) or postgresql://...",
    )
    max_upload_bytes: int = Field(
        default=256 * 1024 * 1024,
        description="Largest upload body (all its files) POST /api/v1/runs reads; 413 beyond.",
    )
    max_report_bytes: int = Field(
        default=200 * 1024 * 1024,
        description="A JUnit file larger than this is refused.",
    )
    github_app_id: str | None = Field(default=None, description="GitHub App id (App mode).")
    github_private_key: SecretStr | None = Field(
        default=None, description="The App's PEM private key, inline."
    )
    github_private_key_path: Path | None = Field(
        default=None, description="Path to the App's PEM private key file."
    )
    github_webhook_secret: SecretStr | None = Field(
        default=None, description="Secret GitHub signs webhook deliveries with."
    )
    github_token: SecretStr | None = Field(
        default=None, description="Personal access token (single-repository mode)."
    )
    github_api_url: str = Field(
        default="https://api.github.com/",
        description="REST API root: GitHub Enterprise Server (https://HOST/api/v3/) or a fake.",
    )
    github_timeout_seconds: float = Field(default=20.0, description="Timeout of one GitHub call.")
    webhook_max_bytes: int = Field(
        default=25 * 1024 * 1024,
        description="Largest webhook body accepted (GitHub caps at 25 MB).",
    )
    artifact_max_bytes: int = Field(
        default=500 * 1024 * 1024, description="Largest total uncompressed size of one artifact."
    )
    artifact_max_members: int = Field(default=10_000, description="Most files in one artifact.")
    artifact_max_ratio: int = Field(
        default=200, description="Largest compression ratio of an artifact member (zip bombs)."
    )
    worker_enabled: bool = Field(
        default=True, description="Run a worker inside `serve` (off when workers run apart)."
    )
    worker_poll_seconds: float = Field(default=0.5, description="Idle worker's poll interval.")
    job_max_attempts: int = Field(default=6, description="Attempts before a job is dead.")
    job_lease_seconds: float = Field(
        default=300.0, description="A claimed job is reclaimed when its worker is silent this long."
    )
    dashboard_token: SecretStr | None = Field(
        default=None,
        description="Token that opens the dashboard and its API (Bearer header or login form).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For and "
        "X-Forwarded-Proto name the client and scheme; empty: none, the socket peer counts.",
    )
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key signing dashboard login cookies (random per process when unset).",
    )
    github_client_id: str | None = Field(
        default=None,
        description="The App's client id: with the secret, /login offers Sign in with GitHub.",
    )
    github_client_secret: SecretStr | None = Field(
        default=None, description="The App's client secret (user authorization)."
    )
    public_url: str | None = Field(
        default=None,
        description="The dashboard's address as browsers reach it (https://HOST/): the OAuth "
        "callback is PUBLIC_URL/login/github/callback; unset: the request's own address.",
    )
    github_access_cache_seconds: float = Field(
        default=300.0,
        description="How long what GitHub says a signed-in user may read is trusted before "
        "it is asked again (revoked or lost access takes effect within this time).",
    )

    log_format: LogFormat = Field(
        default=LogFormat.TEXT,
        description="Log lines as `json` (one object per line, for collectors) or `text`.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level logged: DEBUG, INFO, WARNING or ERROR."
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _no_placeholder_secrets(self) -> Settings:
        for name in (
            "github_webhook_secret",
            "github_token",
            "github_private_key",
            "dashboard_token",
            "session_secret",
            "github_client_secret",
        ):
            value = getattr(self, name)
            if value is not None and not value.get_secret_value().strip():
                # An empty webhook secret would make an empty-key signature valid.
                raise ValueError(f"{name.upper()} is empty; unset it or set the real secret")
            if (
                value is not None
                and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS
            ):
                raise ValueError(f"{name.upper()} is a placeholder value; set the real secret")
        return self

    @property
    def github_mode(self) -> GitHubMode:
        """App mode when App credentials are set, token mode with a token, else offline."""
        if self.github_app_id and (self.github_private_key or self.github_private_key_path):
            return GitHubMode.APP
        if self.github_token:
            return GitHubMode.TOKEN
        return GitHubMode.OFFLINE

    @property
    def oauth_configured(self) -> bool:
        """Whether users may sign in with GitHub (the App's client id and secret are set)."""
        return bool(self.github_client_id and self.github_client_secret)

    def private_key_pem(self) -> str | None:
        """The App's private key text, from the inline value or the file."""
        if self.github_private_key is not None:
            return self.github_private_key.get_secret_value()
        if self.github_private_key_path is not None:
            return self.github_private_key_path.read_text(encoding="utf-8")
        return None
