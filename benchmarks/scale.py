"""Scale-out on one machine: 2 `serve` + 3 `worker` processes on PostgreSQL, a worker killed.

The deployment shape of deploy/ (stateless web processes with WORKER_ENABLED=false, workers
apart, one PostgreSQL), all on 127.0.0.1: `python -m bot serve --workers 1` twice on two
ports and `python -m bot worker` three times, against one fresh PostgreSQL schema and the
fake GitHub of the test suite, served in this process. 1,000 signed `workflow_run`
deliveries (by default) spread over 50 repositories with one tracked issue each, sent to
both web processes, arrive roughly in the order the runs started, shuffled within windows.
Mid-run, one worker holding a job is killed with SIGKILL and a new one started; its job is
claimed again when the lease (5 s here) expires.

Checked: every delivery recorded once and its job done exactly once (one attempt; two for
the killed worker's job), every run stored once, no job dead, one summary comment per issue,
every issue's ticks those of its newest run, the comment on GitHub the one the store wanted,
no secret in any process's log. Printed: runs/s from the first delivery to the last job,
and the figures behind it.

    python -m benchmarks.scale [--deliveries 1000] [--issues 50] [--no-kill]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fake GitHub lives with the tests

from bot.core import (  # noqa: E402
    checklist,
    summary,
)
from bot.store.engine import make_engine  # noqa: E402
from bot.store.migrate import upgrade  # noqa: E402

from fakes import FakeGitHub, ServedFake, serve  # noqa: E402
from fakes.webhook_sender import delivery_headers, payload  # noqa: E402

SECRET = "scale-benchmark-webhook-secret"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
FIXTURES = ROOT / "fixtures"
# Boxes of fixtures/issue-870.md met by seed-story run N (test_service), and its pass count.
EXPECTED_TICKS = {1: [2], 2: [0, 2, 3], 3: [0, 1, 2, 3, 4]}
PASSING = {1: "6/14 passing", 2: "11/14 passing", 3: "14/14 passing"}
# Even-numbered repositories untick regressions: their ticks must be exactly the newest
# run's, so a late-arriving older run rolling an issue back would show. The others keep
# the default (a bot tick stays).
UNTICK = "untick_regressions: true\n"
LEASE_SECONDS = 5
TIMEOUT_S = float(os.environ.get("SCALE_TIMEOUT_SECONDS", "900"))


@dataclass
class Plan:
    """What will be delivered: per repository, runs in the order they started."""

    repos: list[str]
    runs: list[tuple[str, int, int, datetime]]  # repo, run id, seed-story run, started at
    final_story: dict[str, int] = field(default_factory=dict)
    earlier_story: dict[str, int] = field(default_factory=dict)

    def ticks_right(self, repo: str, ticked: list[int]) -> bool:
        """Exactly the newest run's ticks; without unticking, plus any of the first half's
        (a sync that ran while first-half runs were the newest may have ticked them)."""
        final = set(EXPECTED_TICKS[self.final_story[repo]])
        if self.unticks(repo):
            return set(ticked) == final
        return final <= set(ticked) <= final | set(EXPECTED_TICKS[self.earlier_story[repo]])

    def unticks(self, repo: str) -> bool:
        """Whether the repository's configuration unticks regressions."""
        return self.repos.index(repo) % 2 == 0


def make_plan(deliveries: int, issues: int, seed: int) -> Plan:
    """Each repository's runs: the first half one story, the second half its final story."""
    rng = random.Random(seed)
    repos = [f"scale/repo-{i:03d}" for i in range(issues)]
    per_repo = deliveries // issues
    base = datetime(2026, 1, 1, tzinfo=UTC)
    plan = Plan(repos=repos, runs=[])
    by_slot: list[list[tuple[str, int, int, datetime]]] = [[] for _ in range(per_repo)]
    for i, repo in enumerate(repos):
        final = i % 3 + 1
        earlier = (i + 1) % 3 + 1
        plan.final_story[repo] = final
        plan.earlier_story[repo] = earlier
        for j in range(per_repo):
            story = final if j >= per_repo // 2 else earlier
            run_id = 100_000 + i * 1_000 + j
            by_slot[j].append((repo, run_id, story, base + timedelta(minutes=j)))
    ordered = [run for slot in by_slot for run in slot]
    window = 100  # runs finish out of order: shuffle within windows of 100 deliveries
    for start in range(0, len(ordered), window):
        chunk = ordered[start : start + window]
        rng.shuffle(chunk)
        plan.runs.extend(chunk)
    return plan


def story_zip(number: int) -> bytes:
    """Seed-story run N's JUnit files, zipped as actions/upload-artifact does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((FIXTURES / "seed-story" / f"run{number}").glob("*.xml")):
            archive.writestr(f"test-results/{path.name}", path.read_bytes())
    return buffer.getvalue()


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Processes:
    """The bot's processes: started with one environment, logs in files, stopped at exit."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """`python -m bot ARGS` as `name`, in an empty directory (no stray .env is read)."""
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.running[name] = process
        return process

    def stop_all(self) -> None:
        """SIGTERM each (workers finish their job), then SIGKILL what lingers."""
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        """Every process's output so far."""
        return "\n".join(p.read_text(errors="replace") for p in self.folder.glob("*.log"))


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until GET /readyz answers 200 (migrated, database reachable)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} was not ready within {timeout:.0f} s")


def job_counts(engine: Engine) -> dict[str, int]:
    """Jobs per status."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT status, count(*) FROM jobs GROUP BY status"))
        return {status: int(n) for status, n in rows}


def held_jobs(engine: Engine, pid: int) -> list[int]:
    """Ids of the running jobs a worker process holds (worker names are host:pid:thread)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id FROM jobs WHERE status = 'running' AND worker LIKE :pattern"),
            {"pattern": f"%:{pid}:%"},
        )
        return [int(row[0]) for row in rows]


def send_all(
    urls: list[str], bodies: list[tuple[str, bytes]], connections: int = 8
) -> tuple[float, Counter[int]]:
    """POST every delivery, alternating between the web processes; seconds and statuses."""
    clients = [httpx.Client(base_url=url, timeout=30) for url in urls]

    def send(index: int) -> int:
        delivery_id, body = bodies[index]
        headers = delivery_headers(
            event="workflow_run", body=body, secret=SECRET, delivery_id=delivery_id
        )
        client = clients[index % len(clients)]
        return client.post("/webhooks/github", content=body, headers=headers).status_code

    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(connections) as pool:
            statuses = Counter(pool.map(send, range(len(bodies))))
    finally:
        for client in clients:
            client.close()
    return time.perf_counter() - started, statuses


@dataclass
class Kill:
    """The SIGKILLed worker: when, which jobs it held, and what became of them."""

    pid: int = 0
    jobs: list[int] = field(default_factory=list)
    at: float = 0.0


def drain(
    engine: Engine, processes: Processes, expected: int, *, kill_at: float | None, kill: Kill
) -> float:
    """Wait until every job is done (or dead); kill a busy worker once `kill_at` is reached."""
    started = time.perf_counter()
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        counts = job_counts(engine)
        done = counts.get("done", 0) + counts.get("dead", 0)
        if kill_at is not None and not kill.pid and done >= kill_at * expected:
            victim = processes.running["worker-1"]
            held = held_jobs(engine, victim.pid)
            if held:  # mid-job: the point of the exercise
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kill.pid, kill.jobs, kill.at = victim.pid, held, time.perf_counter()
                processes.start("worker-4", "worker")
        busy = counts.get("queued", 0) + counts.get("running", 0)
        if busy == 0 and done >= expected and (kill_at is None or kill.pid):
            return time.perf_counter() - started
        time.sleep(0.005 if kill_at is not None and not kill.pid else 0.1)
    raise SystemExit(f"jobs not drained within {TIMEOUT_S:.0f} s: {job_counts(engine)}")


def check(
    engine: Engine, fake: FakeGitHub, plan: Plan, kill: Kill, logs: str, issues_opened: int
) -> list[tuple[bool, str]]:
    """Every claim of the module docstring, as (passed, what) pairs."""
    results: list[tuple[bool, str]] = []
    n = len(plan.runs)
    with engine.connect() as db:
        deliveries = db.execute(
            text("SELECT count(*), count(DISTINCT delivery_id) FROM deliveries")
        )
        total, distinct = deliveries.one()
        results.append(
            (total == distinct == n + issues_opened, f"deliveries recorded once: {total:,}")
        )
        kinds: dict[str, int] = dict(
            db.execute(text("SELECT kind, count(*) FROM jobs GROUP BY kind")).all()
        )
        results.append((kinds.get("workflow_run") == n, f"one job per run delivery: {kinds}"))
        per_delivery = db.execute(
            text(
                "SELECT count(*) FROM (SELECT delivery_id FROM jobs WHERE delivery_id IS NOT NULL"
                " GROUP BY delivery_id HAVING count(*) > 1) AS twice"
            )
        ).scalar()
        results.append((per_delivery == 0, "no delivery made two jobs"))
        statuses: dict[str, int] = dict(
            db.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all()
        )
        results.append((set(statuses) == {"done"}, f"every job done, none dead: {statuses}"))
        retried: dict[int, int] = dict(
            db.execute(text("SELECT id, attempts FROM jobs WHERE attempts <> 1")).all()
        )
        expected_retries = dict.fromkeys(kill.jobs, 2)
        results.append(
            (
                retried == expected_retries,
                f"each job run once to completion; twice only the killed worker's: {retried}",
            )
        )
        runs = db.execute(
            text("SELECT count(*), count(DISTINCT (repository_id, run_id)) FROM runs")
        ).one()
        results.append((runs[0] == runs[1] == n, f"runs stored once each: {runs[0]:,}"))
        desired = {
            (repo, number): comment
            for repo, number, comment in db.execute(
                text(
                    "SELECT r.full_name, t.number, t.desired_comment FROM tracked_issues t"
                    " JOIN repositories r ON r.id = t.repository_id"
                )
            )
        }
    wrong: list[str] = []
    comment_counts: Counter[int] = Counter()
    for repo in plan.repos:
        issue = fake.repos[repo].issues[1]
        summaries = [c.body for c in issue.comments if summary.MARKER in c.body]
        comment_counts[len(summaries)] += 1
        ticked = [box.index for box in checklist.find_checkboxes(issue.body or "") if box.checked]
        if not plan.ticks_right(repo, ticked):
            wrong.append(f"{repo}: ticked {ticked} (newest run: story {plan.final_story[repo]})")
        elif summaries and PASSING[plan.final_story[repo]] not in summaries[-1]:
            wrong.append(f"{repo}: the comment does not report the newest run")
        elif summaries and summaries[-1] != desired.get((repo, 1)):
            wrong.append(f"{repo}: comment differs from the stored desired comment")
    results.append(
        (
            comment_counts == Counter({1: len(plan.repos)}),
            f"summary comments per issue: {dict(comment_counts)}",
        )
    )
    results.append(
        (
            not wrong,
            "every issue's ticks and comment those of its newest run"
            + (": " + "; ".join(wrong[:5]) if wrong else ""),
        )
    )
    secrets = [SECRET, fake.private_key_pem, *fake.tokens]
    leaked = sum(1 for s in secrets if s in logs)
    results.append((leaked == 0, f"no secret in the processes' logs ({len(logs):,} characters)"))
    return results


def main() -> None:
    """Set up, deliver, kill, drain, check, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--issues", type=int, default=50)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kill-at", type=float, default=0.35, help="fraction of jobs done")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-schema", action="store_true", help="leave the data to inspect")
    args = parser.parse_args()
    if args.deliveries % args.issues:
        raise SystemExit("--deliveries must be a multiple of --issues")
    sys.exit(run(args))


def _arrange(fake: FakeGitHub, plan: Plan, seed_body: str, zips: dict[int, bytes]) -> None:
    """The fake GitHub's repositories, seed issues, configurations and run artifacts."""
    fake.rate_limit_per_hour = 10_000_000  # one installation; GitHub would scale it
    for repo in plan.repos:
        fake.add_repo(repo, default_branch="main")
        fake.add_issue(repo, 1, title="Remediation", body=seed_body, labels=["remediation"])
        if plan.unticks(repo):
            fake.set_file(repo, ".github/remediation.yml", UNTICK)
    for repo, run_id, story, _ in plan.runs:
        fake.add_artifact(repo, run_id, name="junit-results", zip_bytes=zips[story])


def _environment(url: str, served: ServedFake) -> dict[str, str]:
    """The bot processes' environment: this store, the fake GitHub's App, short leases."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "DATABASE"))},
        "DATABASE_URL": url,
        "GITHUB_APP_ID": str(served.app_id),
        "GITHUB_PRIVATE_KEY": served.private_key_pem,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_API_URL": served.api_url,
        "WORKER_ENABLED": "false",
        "WORKER_POLL_SECONDS": "0.05",
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
    }


def run(args: argparse.Namespace) -> int:
    """The scenario; 0 when every check passed."""
    postgres = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    schema = f"scale_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres)
    plan = make_plan(args.deliveries, args.issues, args.seed)
    seed_body = (FIXTURES / "issue-870.md").read_bytes().decode("utf-8")
    zips = {n: story_zip(n) for n in (1, 2, 3)}
    fake = FakeGitHub()
    kill = Kill()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scale-")))
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        stack.callback(admin.dispose)
        if not args.keep_schema:
            stack.callback(_drop_schema, admin, schema)
        url = f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{schema}"
        upgrade(url)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        served: ServedFake = stack.enter_context(serve(fake))
        _arrange(fake, plan, seed_body, zips)

        env = _environment(url, served)
        processes = Processes(folder, env)
        stack.callback(processes.stop_all)
        urls = []
        for n in range(args.servers):
            port = free_port()
            server = processes.start(
                f"serve-{n + 1}", "serve", "--workers", "1", "--port", str(port)
            )
            urls.append((f"http://127.0.0.1:{port}", server))
        for base, server in urls:
            wait_ready(base, server)
        for n in range(args.workers):
            processes.start(f"worker-{n + 1}", "worker")

        label = {
            "issue": {"labels": [{"name": "remediation"}]},
            "repository": {"default_branch": "main"},
        }
        opened = [
            (
                f"open-{i}",
                payload(
                    "issues", "opened", repo=repo, issue_number=1, issue_body=seed_body, merge=label
                ),
            )
            for i, repo in enumerate(plan.repos)
        ]
        for i, (delivery_id, body) in enumerate(opened):
            headers = delivery_headers(
                event="issues", body=body, secret=SECRET, delivery_id=delivery_id
            )
            httpx.post(
                f"{urls[i % len(urls)][0]}/webhooks/github",
                content=body,
                headers=headers,
                timeout=30,
            )
        drain(engine, processes, len(opened), kill_at=None, kill=kill)
        requests_before = len(fake.requests)

        bodies = [
            (
                f"run-{run_id}",
                payload(
                    "workflow_run",
                    "completed",
                    repo=repo,
                    run_id=run_id,
                    head_branch="main",
                    merge={
                        "repository": {"default_branch": "main"},
                        "workflow_run": {
                            "run_started_at": started.isoformat().replace("+00:00", "Z")
                        },
                    },
                ),
            )
            for repo, run_id, _, started in plan.runs
        ]
        started = time.perf_counter()
        # Deliveries go out while the workers drain: the kill lands mid-run, mid-job.
        with ThreadPoolExecutor(1) as sender:
            sending = sender.submit(send_all, [u for u, _ in urls], bodies)
            expected_jobs = len(opened) + 2 * len(bodies)  # each run: its ingest and a sync
            kill_at = None if args.no_kill else args.kill_at
            drain(engine, processes, expected_jobs, kill_at=kill_at, kill=kill)
            send_seconds, statuses = sending.result()
        elapsed = time.perf_counter() - started
        calls = fake.requests[requests_before:]
        downloads = Counter(r.path.rsplit("/", 2)[-2] for r in calls if r.path.endswith("/zip"))
        results = check(engine, fake, plan, kill, processes.logs(), len(opened))
        with engine.connect() as db:
            per_kind: dict[str, int] = dict(
                db.execute(text("SELECT kind, count(*) FROM jobs GROUP BY kind")).all()
            )
        twice = sorted(a for a, n in downloads.items() if n > 1)

    n = len(bodies)
    print(
        f"scale-out: {args.servers} `serve` + {args.workers} `worker` processes, PostgreSQL, "
        f"fake GitHub on 127.0.0.1, {os.cpu_count()} cores"
    )
    print(
        f"  {n:,} workflow_run deliveries over {len(plan.repos)} tracked issues "
        f"({n // len(plan.repos)} runs each), sent in {send_seconds:.1f} s "
        f"({n / send_seconds:,.0f}/s accepted; answers {dict(statuses)})"
    )
    print(
        f"  throughput: {n / elapsed:.1f} runs/s, first delivery to last job done "
        f"{elapsed:.1f} s; jobs {per_kind}"
    )
    writes = sum(1 for r in calls if r.is_write and "access_tokens" not in r.path)
    print(
        f"  GitHub API calls: {len(calls):,} ({writes:,} writes), "
        f"{len(calls) / n:.1f} per run; artifacts downloaded twice: {twice or 'none'}"
    )
    if kill.pid:
        print(
            f"  SIGKILL: worker pid {kill.pid} at {kill.at - started:.1f} s holding job(s) "
            f"{kill.jobs}; a new worker started; the job was claimed again after its "
            f"{LEASE_SECONDS} s lease"
        )
    failed = 0
    for passed, what in results:
        failed += not passed
        print(f"  {'PASS' if passed else 'FAIL'}  {what}")
    return 1 if failed else 0


def _drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
