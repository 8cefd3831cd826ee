"""From a `workflow_run` delivery to a synced summary comment, for a 10k-test run.

The bot (app as shipped: in-process worker thread, writes spaced 1 s apart as GitHub asks)
and the fake GitHub of the test suite both run over real HTTP on 127.0.0.1. Each round
uploads a fresh 10k-case artifact, delivers the signed webhook, and times until the fake
GitHub has the updated comment; it also counts the GitHub API calls the round made. The
baseline, in the same process, is parsing the same report alone.

    python -m benchmarks.sync_latency [--rounds 3] [--cases 10000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake GitHub lives with the tests

from sqlmodel import Session  # noqa: E402

from benchmarks.evaluate import synthetic_plan  # noqa: E402
from benchmarks.reportgen import write_report  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import (  # noqa: E402
    junit,
    summary,
)
from bot.store import queue  # noqa: E402
from bot.store.engine import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402
from bot.web.app import create_app  # noqa: E402

from fakes import FakeGitHub, serve  # noqa: E402
from fakes.bot_server import serve_bot  # noqa: E402
from fakes.webhook_sender import deliver, payload  # noqa: E402

REPO = "bench/service"
SECRET = "benchmark-secret"
TARGET_S = 5.0


def _zip(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "results/junit.xml")
    return buffer.getvalue()


def _wait(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the bot")
        time.sleep(0.01)


def main() -> None:
    """Serve both, run the rounds, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    fake = FakeGitHub()
    with tempfile.TemporaryDirectory() as folder, serve(fake) as served:
        database = f"sqlite:///{folder}/bench.db"
        upgrade(database)
        settings = Settings(
            _env_file=None,
            database_url=database,
            github_app_id=str(served.app_id),
            github_private_key=served.private_key_pem,
            github_webhook_secret=SECRET,
            github_api_url=served.api_url,
            worker_poll_seconds=0.05,
        )
        fake.add_repo(REPO, default_branch="main")
        fake.add_issue(REPO, 1, title="Plan", body=synthetic_plan(), labels=["remediation"])
        main_branch = {"repository": {"default_branch": "main"}}
        labelled = {"issue": {"labels": [{"name": "remediation"}]}, **main_branch}
        app = create_app(settings)
        with serve_bot(app) as url:
            deliver(
                url,
                event="issues",
                body=payload("issues", "opened", repo=REPO, issue_number=1, merge=labelled),
                secret=SECRET,
            )
            time.sleep(1.0)
            latencies, calls, parse_times = [], [], []
            for round_number in range(1, args.rounds + 1):
                report_path = write_report(
                    Path(folder) / f"run{round_number}.xml", args.cases, seed=round_number
                )
                started = time.perf_counter()
                junit.read_report(report_path)
                parse_times.append(time.perf_counter() - started)
                _wait(lambda: _idle(database))  # the previous round's gate job, if any
                run_id = 1000 + round_number
                fake.add_artifact(REPO, run_id, name="junit", zip_bytes=_zip(report_path))
                before = len(fake.requests)
                previous = _comment(fake)
                started = time.perf_counter()
                deliver(
                    url,
                    event="workflow_run",
                    body=payload(
                        "workflow_run",
                        "completed",
                        repo=REPO,
                        run_id=run_id,
                        head_branch="main",
                        merge=main_branch,
                    ),
                    secret=SECRET,
                )
                _wait(partial(_comment_changed, fake, previous))
                latencies.append(time.perf_counter() - started)
                round_requests = fake.requests[before:]
                calls.append(sum("access_tokens" not in r.path for r in round_requests))
    median = statistics.median(latencies)
    print(
        f"workflow_run delivery -> synced comment, {args.cases:,} test cases, {args.rounds} rounds"
    )
    print(
        f"  latency per round: {', '.join(f'{s:.2f} s' for s in latencies)}; median {median:.2f} s"
    )
    print(
        f"  GitHub API calls per round, until the comment: {calls} "
        "(writes are spaced 1 s apart, as GitHub asks; the gate's check run follows)"
    )
    parse = statistics.median(parse_times)
    print(
        f"  baseline: parsing the report alone {parse:.2f} s; latency / parse {median / parse:.1f}x"
    )
    verdict = "PASS" if median < TARGET_S else "MISS"
    print(f"  {verdict}  delivery to synced comment under {TARGET_S:.0f} s")


def _idle(database: str) -> bool:
    """No job queued or running (each round measures one run, not a queue behind it)."""
    engine = make_engine(database)
    try:
        with Session(engine) as session:
            counts = queue.counts(session=session)
    finally:
        engine.dispose()
    return counts["queued"] == 0 and counts["running"] == 0


def _comment(fake: FakeGitHub) -> str | None:
    comments = fake.repos[REPO].issues[1].comments
    bodies = [c.body for c in comments if summary.MARKER in c.body]
    return bodies[-1] if bodies else None


def _comment_changed(fake: FakeGitHub, previous: str | None) -> bool:
    """A summary comment exists and is not the one before this round."""
    return _comment(fake) not in (None, previous)


if __name__ == "__main__":
    main()
