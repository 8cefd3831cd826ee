"""CLI start benchmark: `junit`, `plan` and `evaluate` on small inputs, as CI steps and the
Action run them (a fresh interpreter each time), beside a bare `import lxml.etree, json`
timed in the same process, interleaved so both see the same machine load. Each runs from
compiled bytecode, after one warm-up run of every command.

Run with `python -m benchmarks.cli [--rounds 15]`. Prints the median and p90 wall time of
each command, its ratio to the bare import's median and PASS/MISS against the target
(within 8x the bare import), and always exits 0: a report, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "fixtures" / "issue-870.md")
RUN = str(ROOT / "fixtures" / "seed-story" / "run1" / "junit-engine.xml")
TARGET_RATIO = 8.0
BARE = [sys.executable, "-c", "import lxml.etree, json"]
COMMANDS = {
    "junit --json": ["junit", RUN, "--json"],
    "plan --json": ["plan", SEED, "--json"],
    "evaluate --json": ["evaluate", SEED, RUN, "--json"],
    "--help": ["--help"],
}


# As installed packages run: from compiled bytecode (pip writes it at install time; a
# PYTHONDONTWRITEBYTECODE=1 shell would make every start recompile every module).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    """Time every command and the bare import, round after round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    times: dict[str, list[float]] = {"bare import": [], **{name: [] for name in COMMANDS}}
    for args in COMMANDS.values():  # warm-up: bytecode written, files in the page cache
        _seconds([sys.executable, "-m", "bot", *args])
    for _ in range(rounds):
        times["bare import"].append(_seconds(BARE))
        for name, args in COMMANDS.items():
            times[name].append(_seconds([sys.executable, "-m", "bot", *args]))
    bare = statistics.median(times["bare import"])
    print(f"{'command':20} {'median':>9} {'p90':>9} {'x bare':>8}  target {TARGET_RATIO:g}x")
    for name, samples in times.items():
        median = statistics.median(samples)
        p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else median
        ratio = median / bare
        verdict = "" if name == "bare import" else ("PASS" if ratio <= TARGET_RATIO else "MISS")
        print(f"{name:20} {median:8.3f}s {p90:8.3f}s {ratio:7.1f}x  {verdict}")


if __name__ == "__main__":
    main()
