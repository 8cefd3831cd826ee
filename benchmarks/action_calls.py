"""The Action's GitHub calls: the seed story through `remediation-bot sync`, run by run.

`sync` (token mode, history hidden in the summary comment) against the test suite's fake
GitHub on 127.0.0.1, over real HTTP: runs 1, 2 and 3 of the seed story, then run 3 again
(a rerun of the job). Per run it prints the boxes ticked, the time and every call made. The
target (issue #16): at most 4 calls when something changed, 2 reads and no write when not.

    python -m benchmarks.action_calls
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake GitHub lives with the tests

from typer.testing import CliRunner  # noqa: E402

from bot.cli import app  # noqa: E402

from fakes import FakeGitHub, serve  # noqa: E402
from fakes.seed_story import FIXTURES, ISSUE, REPO, boxes  # noqa: E402


def main() -> int:
    """Run the story; exit 1 when a run misses the target."""
    seed = (FIXTURES / "issue-870.md").read_bytes().decode("utf-8")
    missed = 0
    with serve(FakeGitHub()) as served:
        github = served.fake
        github.add_repo(REPO)
        github.add_issue(REPO, ISSUE, title="Issue #870", body=seed, labels=["remediation"])
        env = {
            "GITHUB_TOKEN": github.issue_token(),
            "GITHUB_API_URL": served.api_url,
            "DATABASE_URL": None,
        }
        for number in (1, 2, 3, 3):
            github.requests.clear()
            files = sorted(str(p) for p in (FIXTURES / "seed-story" / f"run{number}").glob("*.xml"))
            args = ["sync", "--repo", REPO, "--issue", str(ISSUE), "--run-id", str(100 + number)]
            started = time.perf_counter()
            result = CliRunner().invoke(app, [*args, *files], env=env)
            seconds = time.perf_counter() - started
            made = [f"{r.method} {r.path}" for r in github.requests]
            writes = len(github.writes())
            ok = result.exit_code == 0 and (len(made) <= 4 if writes else len(made) == 2)
            missed += not ok
            print(
                f"run {number}: boxes {boxes(github)}, {len(made)} calls ({writes} writes), "
                f"{seconds:.2f} s {'ok' if ok else 'MISSED'}"
            )
            for call in made:
                print(f"    {call}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
