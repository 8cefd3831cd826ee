"""`remediation-bot demo`: the seed story, offline, through the real pipeline."""

from __future__ import annotations

import filecmp
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.core import checklist
from bot.demo import DATA

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_shipped_demo_data_is_the_fixture_story() -> None:
    assert filecmp.cmp(DATA / "issue-870.md", FIXTURES / "issue-870.md", shallow=False)
    for run in (1, 2, 3):
        names = sorted(p.name for p in (FIXTURES / "seed-story" / f"run{run}").glob("*.xml"))
        match, mismatch, errors = filecmp.cmpfiles(
            DATA / f"run{run}", FIXTURES / "seed-story" / f"run{run}", names, shallow=False
        )
        assert (mismatch, errors) == ([], [])
        assert sorted(match) == names


def test_demo_replays_the_story_and_says_where_to_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "run 1: 6/14 passing" in result.stdout
    assert "run 3: 14/14 passing" in result.stdout
    assert "<!-- remediation-bot:summary -->" in result.stdout
    assert "make run" in result.stdout
    ticked = checklist.find_checkboxes(result.stdout.split("only checkbox characters changed")[1])
    assert [box.checked for box in ticked] == [True] * 5
    again = CliRunner().invoke(app, ["demo"])  # idempotent: the same runs are not stored twice
    assert again.exit_code == 0, again.output
