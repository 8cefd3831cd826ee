"""The local commands load no database, web or GitHub library: CI steps and the Action
start them on every call, and `--help` loads almost nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = str(FIXTURES / "issue-870.md")
RUN = str(FIXTURES / "seed-story" / "run1" / "junit-engine.xml")
SHELL_LIBRARIES = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "githubkit",
    "httpx",
    "psycopg",
    "jinja2",
    "prometheus_client",
)
PROBE = """
import contextlib, io, sys
from bot.cli import app
with contextlib.redirect_stdout(io.StringIO()):
    try:
        app(sys.argv[1:], standalone_mode=False)
    except SystemExit:
        pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["junit", RUN, "--json"],
        ["plan", SEED, "--json"],
        ["plan", SEED],
        ["evaluate", SEED, RUN, "--json"],
        ["draft", RUN],
        ["--help"],
        ["sync", "--help"],
    ],
    ids=["junit", "plan-json", "plan", "evaluate", "draft", "help", "sync-help"],
)
def test_local_commands_load_no_shell_library(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.split())
    assert "bot" in loaded
    assert loaded.isdisjoint(SHELL_LIBRARIES), sorted(loaded & set(SHELL_LIBRARIES))
