"""The remediation-bot command as users run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.core import checklist
from bot.store import claims, queue
from bot.store.engine import make_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "issue-870.md"
RUN1 = [str(p) for p in sorted((FIXTURES / "seed-story" / "run1").glob("*.xml"))]
RUN3 = [str(p) for p in sorted((FIXTURES / "seed-story" / "run3").glob("*.xml"))]
runner = CliRunner()


def test_junit_json_contract_with_one_bad_file() -> None:
    bad = str(FIXTURES / "junit/publish-unit-test-result-action/xml/non-xml.xml")
    result = runner.invoke(app, ["junit", "--json", *RUN1, bad])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["totals"] == {"tests": 14, "passed": 6, "failed": 7, "errors": 1, "skipped": 0}
    assert [f["error"] is None for f in data["files"]] == [True, True, True, True, False]
    assert "non-xml.xml: malformed XML at line 1" in data["files"][-1]["error"]
    assert data["files"][-1]["totals"]["tests"] == 0


def test_junit_exits_non_zero_when_nothing_was_readable(tmp_path: Path) -> None:
    result = runner.invoke(app, ["junit", str(tmp_path / "missing.xml")])
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_junit_table_by_default() -> None:
    result = runner.invoke(app, ["junit", *RUN1])
    assert result.exit_code == 0
    assert "total" in result.stdout
    assert "14" in result.stdout


def test_plan_json() -> None:
    result = runner.invoke(app, ["plan", str(SEED), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["number"] for p in data["phases"]] == [1, 2, 3]
    assert [i["index"] for i in data["items"]] == [0, 1, 2, 3, 4]
    assert data["items"][0]["metric"]["kind"] == "tests_passing"
    assert len(data["tests"]) == 4


def test_plan_readable_output() -> None:
    result = runner.invoke(app, ["plan", str(SEED)])
    assert result.exit_code == 0
    assert "Core API Fixes" in result.stdout
    assert "tests_passing" in result.stdout


def test_evaluate_json_comment_and_body() -> None:
    as_json = json.loads(runner.invoke(app, ["evaluate", str(SEED), *RUN1, "--json"]).stdout)
    assert [m["status"] for m in as_json["metrics"]] == ["unmet", "unmet", "met", "unmet", "unmet"]
    assert as_json["unplanned"] == []
    comment = runner.invoke(app, ["evaluate", str(SEED), *RUN1, "--comment"]).stdout
    assert comment.startswith("<!-- remediation-bot:summary -->")
    assert "create_agent_instance" in comment


def test_evaluate_body_ticks_only_checkbox_bytes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "evaluate", str(SEED), *RUN3, "--body"],
        capture_output=True,
        check=True,
    )
    original = SEED.read_bytes()
    assert len(result.stdout) == len(original)
    changed = [i for i, (a, b) in enumerate(zip(original, result.stdout, strict=True)) if a != b]
    assert len(changed) == 5
    assert all(result.stdout[i : i + 1] == b"x" for i in changed)
    ticked = checklist.find_checkboxes(result.stdout.decode("utf-8"))
    assert all(box.checked for box in ticked)


def test_evaluate_rejects_two_output_modes() -> None:
    result = runner.invoke(app, ["evaluate", str(SEED), *RUN1, "--json", "--body"])
    assert result.exit_code != 0
    assert "choose one of" in result.output


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    return database


def test_migrate_and_ingest_twice(sqlite_env: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    args = ["ingest", "--repo", "acme/agents", "--run-id", "7", "--sha", "abc", *RUN1]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Stored run 7 attempt 1 of acme/agents: 14 tests, 6 passed" in first.stdout
    second = runner.invoke(app, args)
    assert "Already stored" in second.stdout
    assert sqlite_env.exists()


def test_requeue_queues_the_dead_jobs_of_a_kind_again(sqlite_env: Path) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    engine = make_engine(f"sqlite:///{sqlite_env}")
    with Session(engine) as session:
        for kind in ("sync_issue", "gate"):
            queue.enqueue(session=session, kind=kind, payload={}, lock_key=kind, max_attempts=1)
            claimed = claims.claim(session=session, worker="w")
            assert claimed is not None
            queue.fail(session=session, job=claimed, worker="w", error="GitHub down")
    result = runner.invoke(app, ["requeue", "--kind", "sync_issue"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 dead job(s) again" in result.stdout
    with Session(engine) as session:
        assert queue.counts(session=session) == {"queued": 1, "running": 0, "done": 0, "dead": 1}
    engine.dispose()


def test_ingest_rejects_a_bad_repo_name(sqlite_env: Path) -> None:
    result = runner.invoke(app, ["ingest", "--repo", "not-a-repo", *RUN1])
    assert result.exit_code != 0
    assert "OWNER/NAME" in result.output


def test_python_dash_m_bot_is_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("serve", "migrate", "junit", "ingest", "plan", "evaluate"):
        assert command in result.stdout


def test_evaluate_with_repository_config(tmp_path: Path) -> None:
    config = tmp_path / "remediation.yml"
    config.write_text('rules:\n  - index: 2\n    rule: "memory <= 200MB"\n')
    result = runner.invoke(app, ["evaluate", str(SEED), *RUN1, "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    memory = json.loads(result.stdout)["metrics"][2]
    assert (memory["status"], memory["evidence"]) == ("unmet", "peak 231.5 MB <= 200 MB")
    config.write_text("tick_after: zero\n")
    bad = runner.invoke(app, ["evaluate", str(SEED), *RUN1, "--config", str(config)])
    assert bad.exit_code != 0
    assert "tick_after" in bad.output


def test_plan_says_how_the_checklist_is_read(tmp_path: Path) -> None:
    issue = tmp_path / "issue.md"
    issue.write_text("- [ ] Test suite reaches 95%\n- [ ] Memory under 250MB\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", str(issue)])
    assert result.exit_code == 0, result.output
    assert "How the checklist is read" in result.stdout
    assert "/remediation rule #0 pass-rate >= 95%" in result.stdout
    assert "peak memory ≤ 250 MB (read from the text)" in result.stdout
    items = json.loads(runner.invoke(app, ["plan", str(issue), "--json"]).stdout)["items"]
    assert [i["suggested_rule"] for i in items] == ["pass-rate >= 95%", None]
    assert items[1]["reading"] == "peak memory ≤ 250 MB (read from the text)"
    assert items[1]["metric"]["kind"] == "peak_memory"  # the contract's keys are all still there


def test_draft_then_evaluate_closes_the_loop(tmp_path: Path) -> None:
    drafted = runner.invoke(app, ["draft", *RUN1, "--title", "Agents: remediation"])
    assert drafted.exit_code == 0, drafted.output
    assert drafted.stdout.startswith("# Agents: remediation\n")
    issue = tmp_path / "issue.md"
    issue.write_text(drafted.stdout, encoding="utf-8")
    first = json.loads(runner.invoke(app, ["evaluate", str(issue), *RUN1, "--json"]).stdout)
    assert {m["status"] for m in first["metrics"]} == {"unmet", "met"}
    assert first["unplanned"] == []
    last = json.loads(runner.invoke(app, ["evaluate", str(issue), *RUN3, "--json"]).stdout)
    # One run alone: a failure kind gone needs the tests it hit to be seen failing first.
    assert {m["status"] for m in last["metrics"][:5]} == {"met"}


def test_draft_says_what_it_cannot_draft_from(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_text("<testsuites/>", encoding="utf-8")
    result = runner.invoke(app, ["draft", str(empty)])
    assert result.exit_code == 1
    assert "nothing to draft from" in result.output
    config = tmp_path / "remediation.yml"
    config.write_text('ignore: ["*test_base_agent_factory_user_isolation*"]\n')
    ignored = runner.invoke(app, ["draft", *RUN1, "--config", str(config)])
    assert "test_base_agent_factory_user_isolation" not in ignored.stdout


def test_the_report_limit_is_the_services_and_the_environment_still_sets_it() -> None:
    from bot.config import Settings
    from bot.core.junit import DEFAULT_MAX_BYTES

    assert Settings(_env_file=None).max_report_bytes == DEFAULT_MAX_BYTES
    small = runner.invoke(app, ["junit", "--json", RUN1[0]], env={"MAX_REPORT_BYTES": "100"})
    assert small.exit_code == 1
    assert "MAX_REPORT_BYTES" in json.loads(small.stdout)["files"][0]["error"]
