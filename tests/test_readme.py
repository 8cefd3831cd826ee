"""The README stays true: every setting documented, the quick start is what CI runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_configuration_table() -> None:
    missing = [
        name.upper() for name in Settings.model_fields if f"| `{name.upper()}` |" not in README
    ]
    assert missing == []


def test_quick_start_is_two_commands_and_ci_runs_the_same_test_command() -> None:
    assert "make run" in README
    assert "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


@pytest.mark.parametrize("value", ["", "   ", "changeme", "secret"])
def test_empty_or_placeholder_secrets_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, github_webhook_secret=value)
