"""Webhook acknowledgement throughput: `remediation-bot serve` as shipped, SQLite in WAL mode.

A separate driver process (wrk, from Debian's `wrk` package, when installed; else an async
httpx client) sends signed `workflow_run.completed` deliveries, each with its own delivery
id so each one is recorded and enqueues a job, over N connections, and reports requests/s
and latency percentiles. The baseline, measured in the same run against the same server,
is `GET /healthz` (no HMAC, no database): the ratio is what verification and the durable
insert cost on this machine.

    python -m benchmarks.webhooks [--seconds 10] [--connections 50]
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
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

SECRET = "benchmark-secret"
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0


def _body() -> bytes:
    data = json.loads((ROOT / "fixtures/webhooks/workflow_run.completed.1.json").read_bytes())
    return json.dumps(data).encode()


def _signature(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def _wrk_script(folder: Path, body: bytes) -> Path:
    """A wrk script: the same signed body, a fresh delivery id per request."""
    script = folder / "deliver.lua"
    script.write_text(
        "local counter = 0\n"
        "function setup(thread) thread:set('tid', tostring(math.random(1, 1000000000))) end\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('POST', '/webhooks/github', {\n"
        "    ['X-GitHub-Event'] = 'workflow_run',\n"
        "    ['X-GitHub-Delivery'] = tid .. '-' .. counter,\n"
        f"    ['X-Hub-Signature-256'] = '{_signature(body)}',\n"
        "    ['Content-Type'] = 'application/json'}, " + json.dumps(body.decode()) + ")\n"
        "end\n"
    )
    return script


def _wrk(
    url: str, seconds: int, connections: int, script: Path | None
) -> tuple[float, float, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in output:
        raise SystemExit(f"the server refused requests:\n{output}")

    def percentile(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rate, percentile("50"), percentile("99")


async def _httpx(
    url: str, seconds: int, connections: int, body: bytes | None
) -> tuple[float, float, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def loop() -> None:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if body is None:
                    response = await client.get(url)
                else:
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
    return (
        len(latencies) / seconds,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> None:
    """Serve, drive, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    body = _body()
    driver = "wrk" if shutil.which("wrk") else "httpx (install Debian's wrk for a faster driver)"
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "GITHUB_WEBHOOK_SECRET": SECRET,
            # The acknowledgement is measured here; jobs are drained by workers elsewhere.
            "WORKER_ENABLED": "false",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(args.port)],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{args.port}"
        try:
            _wait_ready(url)
            print(
                f"webhook acknowledgement: `serve` as shipped (SQLite WAL), {args.connections} "
                f"connections, {args.seconds} s each, driver {driver}, {os.cpu_count()} cores"
            )
            figures = {}
            for name, path, signed in (
                ("baseline: GET /healthz", "/healthz", False),
                ("signed deliveries", "/webhooks/github", True),
            ):
                if driver == "wrk":
                    script = _wrk_script(Path(folder), body) if signed else None
                    figures[name] = _wrk(url + path, args.seconds, args.connections, script)
                else:
                    figures[name] = asyncio.run(
                        _httpx(url + path, args.seconds, args.connections, body if signed else None)
                    )
                rate, p50, p99 = figures[name]
                print(f"  {name:<26} {rate:>8,.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = sqlite3.connect(database).execute("SELECT count(*) FROM jobs").fetchone()[0]
    rate, _, p99 = figures["signed deliveries"]
    baseline = figures["baseline: GET /healthz"][0]
    print(f"  deliveries / baseline: {rate / baseline:.2f}; jobs stored: {stored:,}")
    verdict = "PASS" if rate >= TARGET_RATE and p99 < TARGET_P99_MS else "MISS"
    print(f"  {verdict}  >= {TARGET_RATE:,.0f} deliveries/s with p99 < {TARGET_P99_MS:.0f} ms")


if __name__ == "__main__":
    main()
