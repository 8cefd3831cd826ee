"""Settings: one typed object read from the environment (and `.env`), never at import."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./remediation.db"


class Settings(BaseSettings):
    """Every knob of the bot; each one is documented in the README's configuration table."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL of the store: SQLite file (default) or postgresql://...",
    )
    max_report_bytes: int = Field(
        default=200 * 1024 * 1024,
        description="A JUnit file larger than this is refused.",
    )
