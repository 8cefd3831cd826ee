"""Webhook acknowledgement: `remediation-bot serve` as shipped against the issue's yardstick.

A separate driver process (wrk, from Debian's `wrk` package, when installed; else an async
httpx client) sends signed `workflow_run.completed` deliveries, each with its own delivery
id so each one is verified, recorded and enqueues a job, over N keep-alive connections, and
reports requests/s and latency percentiles. The baseline, measured in the same run, is the
issue's reference point: a bare FastAPI endpoint doing HMAC + one SQLite insert, served by
uvicorn with 2 workers (`benchmarks/reference_webhook.py`). Each round drives both, one
after the other; several rounds show how much the machine itself wanders.

By default the driver runs on CPU 0 and the servers on the other CPUs. Unpinned, the
scheduler often wakes the server on the driver's core (wake-affine on loopback), and the
figures then measure that contention; `--no-pin` shows them.

    python -m benchmarks.webhooks [--seconds 10] [--connections 50] [--rounds 3] [--no-pin]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.store.engine import make_engine

SECRET = "benchmark-secret"
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0


@dataclass(frozen=True)
class Figures:
    """One driver run against one server."""

    rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    def line(self, name: str) -> str:
        return (
            f"  {name:<34} {self.rate:>7,.0f} req/s   p50 {self.p50_ms:6.1f} ms   "
            f"p99 {self.p99_ms:6.1f} ms   max {self.max_ms:7.1f} ms"
        )

    @property
    def meets_target(self) -> bool:
        return self.rate >= TARGET_RATE and self.p99_ms < TARGET_P99_MS


def _body() -> bytes:
    data = json.loads((ROOT / "fixtures/webhooks/workflow_run.completed.1.json").read_bytes())
    return json.dumps(data).encode()


def _signature(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _wrk_script(folder: Path, body: bytes) -> Path:
    """A wrk script: the same signed body, a fresh delivery id per request.

    The id prefix comes from the command line (`-- PREFIX`): LuaJIT's random numbers repeat
    from run to run, and a repeated id is a cheaper duplicate, not a delivery.
    """
    script = folder / "deliver.lua"
    script.write_text(
        "local counter = 0\n"
        "local prefix = 'run'\n"
        "function init(args) prefix = args[1] or prefix end\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('POST', '/webhooks/github', {\n"
        "    ['X-GitHub-Event'] = 'workflow_run',\n"
        "    ['X-GitHub-Delivery'] = prefix .. '-' .. counter,\n"
        f"    ['X-Hub-Signature-256'] = '{_signature(body)}',\n"
        "    ['Content-Type'] = 'application/json'}, " + json.dumps(body.decode()) + ")\n"
        "end\n"
    )
    return script


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _find(pattern: str, output: str) -> re.Match[str]:
    """The first match of a figure in wrk's report; a report without it ends the run."""
    found = re.search(pattern, output)
    if found is None:
        raise SystemExit(f"wrk printed no {pattern!r}:\n{output}")
    return found


def _wrk(url: str, seconds: int, connections: int, script: Path, cpus: set[int] | None) -> Figures:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    command += [url, "--", uuid.uuid4().hex[:12]]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, preexec_fn=_pin_to(cpus)
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"the server refused requests:\n{output}")
    rate = float(_find(r"Requests/sec:\s+([\d.]+)", output).group(1))
    maximum = _find(r"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", output).groups()

    def percentile(label: str) -> float:
        return _milliseconds(*_find(rf"{label}%\s+([\d.]+)(us|ms|s)", output).groups())

    return Figures(rate, percentile("50"), percentile("99"), _milliseconds(*maximum))


async def _httpx(url: str, seconds: int, connections: int, body: bytes) -> Figures:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def loop() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.post(
                    url,
                    content=body,
                    headers={
                        "X-GitHub-Event": "workflow_run",
                        "X-GitHub-Delivery": str(uuid.uuid4()),
                        "X-Hub-Signature-256": _signature(body),
                        "Content-Type": "application/json",
                    },
                )
                response.raise_for_status()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(loop() for _ in range(connections)))
    latencies.sort()
    return Figures(
        len(latencies) / seconds,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
        latencies[-1] * 1000,
    )


def _pin_to(cpus: set[int] | None) -> Callable[[], None] | None:
    """A preexec_fn that moves the child onto these CPUs (None: leave it to the scheduler)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {url} did not start")


# Where the bot under test stores deliveries: SQLite in the run's folder unless
# --postgres-url names a server (a fresh schema there, dropped afterwards).
DATABASE: dict[str, str] = {}


def _start_bot(folder: Path, port: int, cpus: set[int] | None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": DATABASE.get("url") or f"sqlite:///{folder / 'bot.db'}",
        "GITHUB_WEBHOOK_SECRET": SECRET,
        # The acknowledgement is measured here; jobs are drained by workers elsewhere.
        "WORKER_ENABLED": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_pin_to(cpus),
    )


def _start_reference(folder: Path, port: int, cpus: set[int] | None) -> subprocess.Popen[bytes]:
    database = folder / "reference.db"
    with sqlite3.connect(database) as connection:  # WAL once, before two workers open it
        connection.execute("PRAGMA journal_mode=WAL")
    env = {**os.environ, "REFERENCE_DATABASE": str(database), "REFERENCE_SECRET": SECRET}
    command = [sys.executable, "-m", "uvicorn", "benchmarks.reference_webhook:app"]
    command += ["--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_pin_to(cpus),
    )


def _median(runs: list[Figures]) -> Figures:
    """Median rate and percentiles over the rounds; the worst maximum."""
    return Figures(
        statistics.median(run.rate for run in runs),
        statistics.median(run.p50_ms for run in runs),
        statistics.median(run.p99_ms for run in runs),
        max(run.max_ms for run in runs),
    )


def _stored_jobs(folder: Path) -> int:
    """How many jobs the bot stored (every delivery it acknowledged queued one)."""
    if "url" in DATABASE:
        engine = make_engine(DATABASE["url"])
        with engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM jobs").scalar_one()
        engine.dispose()
        return int(count)
    row = sqlite3.connect(folder / "bot.db").execute("SELECT count(*) FROM jobs").fetchone()
    return int(row[0])


def main() -> None:
    """Serve both, drive each in turn for every round, print each round and the medians."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-pin", action="store_true", help="let the scheduler place both")
    parser.add_argument("--postgres-url", help="store the bot's deliveries on this PostgreSQL")
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    if args.postgres_url:
        admin = make_engine(args.postgres_url)
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in args.postgres_url else "?"
        DATABASE["url"] = f"{args.postgres_url}{separator}options=-csearch_path%3D{schema}"
    body = _body()
    use_wrk = shutil.which("wrk") is not None
    cores = sorted(os.sched_getaffinity(0))
    pinned = not args.no_pin and len(cores) >= 2
    driver_cpus = {cores[0]} if pinned else None
    server_cpus = set(cores[1:]) if pinned else None
    servers = {
        "remediation-bot serve": (_start_bot, args.port),
        "reference (bare FastAPI, 2 workers)": (_start_reference, args.port + 1),
    }
    results: dict[str, list[Figures]] = {name: [] for name in servers}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        script = _wrk_script(folder, body)
        processes = [start(folder, port, server_cpus) for start, port in servers.values()]
        try:
            for _, port in servers.values():
                _wait_ready(f"http://127.0.0.1:{port}/docs")
            print(
                f"webhook acknowledgement: {args.connections} connections, {args.seconds} s per "
                f"run, driver {'wrk' if use_wrk else 'httpx (install wrk for a faster driver)'}, "
                f"{len(cores)} cores, "
                + (f"driver on CPU {cores[0]}, servers on the rest" if pinned else "unpinned")
            )
            for round_number in range(1, args.rounds + 1):
                print(f" round {round_number}")
                for name, (_, port) in servers.items():
                    url = f"http://127.0.0.1:{port}/webhooks/github"
                    if use_wrk:
                        figures = _wrk(url, args.seconds, args.connections, script, driver_cpus)
                    else:
                        figures = asyncio.run(_httpx(url, args.seconds, args.connections, body))
                    results[name].append(figures)
                    print(figures.line(name))
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
        stored = _stored_jobs(folder)
    if args.postgres_url:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
    bot, reference = results.values()
    store = "PostgreSQL" if args.postgres_url else "SQLite"
    print(f" median of {args.rounds} rounds (store: {store}; bot jobs stored: {stored:,})")
    medians = {name: _median(runs) for name, runs in results.items()}
    for name, figures in medians.items():
        print(figures.line(name))
    ours, theirs = medians.values()
    print(
        f"  bot / reference: throughput {ours.rate / theirs.rate:.2f}x, "
        f"p99 {ours.p99_ms / theirs.p99_ms:.2f}x"
    )
    met = sum(run.meets_target for run in bot)
    verdict = "PASS" if ours.meets_target else "MISS"
    print(
        f"  {verdict}  >= {TARGET_RATE:,.0f} deliveries/s with p99 < {TARGET_P99_MS:.0f} ms "
        f"(median; met in {met} of {len(bot)} rounds; reference met in "
        f"{sum(run.meets_target for run in reference)})"
    )


if __name__ == "__main__":
    main()
