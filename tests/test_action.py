"""action.yml: valid for GitHub's schema, and its script drives `sync` as a runner would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from bot.cli.publish import outputs

from fakes import FakeGitHub, ServedFake
from fakes.seed_story import FIXTURES, ISSUE, REPO, boxes

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent


def _action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return data


def test_action_yml_passes_the_github_actions_schema() -> None:
    # The schema is vendored in check-jsonschema: no network is needed (or used).
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validation done" in result.stdout


def test_inputs_outputs_and_install_are_as_documented() -> None:
    action = _action()
    assert set(action["inputs"]) == {"files", "issue", "label", "config", "token", "fail-on"}
    assert action["inputs"]["token"]["default"] == "${{ github.token }}"
    assert set(action["outputs"]) == set(outputs([]))
    install, _ = action["runs"]["steps"]
    assert action["runs"]["using"] == "composite"
    assert 'install --quiet --disable-pip-version-check "$GITHUB_ACTION_PATH"' in install["run"]


def test_the_step_script_syncs_and_writes_outputs_and_summary(
    served_github: ServedFake, github: FakeGitHub, seed_body: str, tmp_path: Path
) -> None:
    """The composite's sync step run by bash, as the runner runs it, against the fake."""
    github.add_repo(REPO)
    github.add_issue(REPO, ISSUE, title="Issue #870", body=seed_body, labels=["remediation"])
    venv_bin = tmp_path / "remediation-bot" / "bin"  # what the install step makes
    venv_bin.mkdir(parents=True)
    (venv_bin / "remediation-bot").symlink_to(BIN / "remediation-bot")
    reports = tmp_path / "reports" / "nested"
    reports.mkdir(parents=True)
    for path in (FIXTURES / "seed-story" / "run2").glob("*.xml"):
        (reports / path.name).write_bytes(path.read_bytes())
    step = _action()["runs"]["steps"][1]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_TOKEN": github.issue_token(),
        "GITHUB_API_URL": served_github.api_url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_RUN_ID": "4242",
        "GITHUB_REF_NAME": "main",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "INPUT_FILES": "reports/**/*.xml\nmissing/*.xml",
        "INPUT_ISSUE": str(ISSUE),
        "INPUT_LABEL": "",
        "INPUT_CONFIG": ".github/remediation.yml",
        "INPUT_FAIL_ON": "unmet",
    }
    result = subprocess.run(
        # How the runner runs a `shell: bash` step.
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr  # items 1 and 4 are unmet
    assert "#870: issue body, comment created" in result.stdout
    assert boxes(github) == [0, 2, 3]
    assert (tmp_path / "output").read_text() == "pass-rate=78.6\nitems-met=3/5\nnew-failures=0\n"
    assert "Items met: **3 of 5**" in (tmp_path / "summary.md").read_text()


def _readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"### {title}")
    return readme[start : readme.index("\n### ", start + 1)]


def _yaml_blocks(text: str) -> list[Any]:
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return [yaml.safe_load(textwrap.dedent(block)) for block in blocks]


def test_the_readme_workflows_use_the_action_as_it_is() -> None:
    inputs = set(_action()["inputs"])
    section = _readme_section("The Action: one step after the tests")
    blocks = _yaml_blocks(section)
    assert len(blocks) == 4  # pytest, Jest, Maven/Gradle, Go
    workflow = blocks[0]
    assert workflow["permissions"]["issues"] == "write"
    steps = [s for b in blocks for s in (b["jobs"]["test"]["steps"] if "jobs" in b else b)]
    ours = [s for s in steps if str(s.get("uses", "")).startswith("OWNER/remediation-bot@")]
    assert len(ours) == 4
    for step in ours:
        assert step["if"] == "always()"
        assert set(step["with"]) <= inputs
        assert ("issue" in step["with"]) != ("label" in step["with"])
    runs = " ".join(str(s.get("run", "")) for s in steps)
    for tool in ("--junitxml", "jest-junit", "mvn", "gotestsum", "--junitfile"):
        assert tool in runs
    assert "build/test-results/test/TEST-*.xml" in section  # Gradle's reports


def test_the_readme_shows_the_apps_artifact_upload() -> None:
    (steps,) = _yaml_blocks(_readme_section("The App: upload the JUnit files as an artifact"))
    upload = next(s for s in steps if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()"
    assert upload["with"]["path"]
