"""Body limits: how much memory a 1 GiB chunked body costs `remediation-bot serve`.

A chunked body carries no Content-Length, so the server can refuse it only by counting as
it reads. The target (issue 14): a 1 GiB chunked webhook body, and a 1 GiB chunked upload,
grow the server's peak memory (VmHWM) by less than 50 MB. The baseline, in the same
process, is the peak after a small signed delivery and a small upload.

Run with `python -m benchmarks.body_limits [--gib 1]`. Prints figures and PASS/MISS; exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SECRET = "body-limits-benchmark-secret"
TARGET_MB = 50.0
CHUNK = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident memory so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc (Linux only)")


def _chunks(total: int, head: bytes = b"") -> Iterator[bytes]:
    yield head
    for _ in range(total // CHUNK):
        yield b"x" * CHUNK


def _post(url: str, headers: dict[str, str], body: Iterator[bytes] | bytes) -> int:
    try:
        return httpx.post(url, content=body, headers=headers, timeout=120).status_code
    except httpx.HTTPError as exc:  # the server may close the connection after its 413
        return getattr(getattr(exc, "response", None), "status_code", 0) or -1


def _signed(body: bytes, delivery: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={digest}",
    }


def _token(folder: Path, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "bot", "token", "create", "acme/widgets"]
    done = subprocess.run(command, env=env, cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    """Start the server, send the small and the huge bodies, print the peak-memory growth."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=1.0, help="size of the huge bodies")
    args = parser.parse_args()
    huge = int(args.gib * 1024**3)
    with tempfile.TemporaryDirectory(prefix="body-limits-") as tmp:
        folder = Path(tmp)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{folder / 'bot.db'}",
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "WORKER_ENABLED": "false",
        }
        token = _token(folder, env)
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(port)],
            env=env,
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            small = b'{"zen": "Keep it logically awesome."}'
            _post(f"{base}/webhooks/github", _signed(small, "small"), small)
            upload = {"Authorization": f"Bearer {token}"}
            httpx.post(
                f"{base}/api/v1/runs",
                headers=upload,
                data={"run_id": "1"},
                files=[("files", ("a.xml", b'<testsuite><testcase name="t"/></testsuite>'))],
                timeout=30,
            )
            baseline = _peak_rss_mb(server.pid)
            started = time.perf_counter()
            hook = _post(f"{base}/webhooks/github", _signed(b"", "huge"), _chunks(huge))
            after_hook = _peak_rss_mb(server.pid)
            head = b'--b0\r\nContent-Disposition: form-data; name="files"; filename="a.xml"\r\n\r\n'
            multipart = {**upload, "Content-Type": "multipart/form-data; boundary=b0"}
            up = _post(f"{base}/api/v1/runs", multipart, _chunks(huge, head))
            after_upload = _peak_rss_mb(server.pid)
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
    growth = max(after_hook, after_upload) - baseline
    print(f"baseline (small delivery and upload): peak RSS {baseline:.1f} MB")
    print(f"{args.gib:g} GiB chunked webhook body: answered {hook}, peak RSS {after_hook:.1f} MB")
    print(f"{args.gib:g} GiB chunked upload: answered {up}, peak RSS {after_upload:.1f} MB")
    verdict = "PASS" if growth < TARGET_MB else "MISS"
    print(f"growth over the baseline: {growth:.1f} MB (target < {TARGET_MB:.0f} MB) {verdict}")
    print(f"both huge requests took {seconds:.1f} s")


if __name__ == "__main__":
    main()
