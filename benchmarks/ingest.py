"""Ingest benchmark: JUnit parsing against a bare lxml loop, storing into SQLite and
PostgreSQL, and the memory parsing takes, for reports of 1k to 100k test cases.

Run with `python -m benchmarks.ingest [--sizes 1000,10000,100000] [--postgres-url URL]`.
It prints figures and PASS/MISS against the targets, and always exits 0: a report, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from benchmarks.reportgen import write_report
from bot.core import junit
from bot.store.engine import make_engine
from bot.store.ingest import IN_MEMORY_BYTES, RunMeta, ingest
from bot.store.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
MB = 1024 * 1024

# Targets, for the largest size measured (100k test cases by default).
PARSE_RATIO_TARGET = 1.5
RSS_GROWTH_TARGET_MB = 50.0
SQLITE_TARGET_S = 3.0
POSTGRES_TARGET_S = 4.0

# Run in a fresh interpreter, so the peak RSS belongs to this one parse alone. Linux keeps
# ru_maxrss across fork and exec (the child starts with the parent's peak, which hid every
# figure here), so the peak comes from VmHWM, which a new process image resets.
RSS_CHILD = """
import resource, sys
from pathlib import Path
from bot.core import junit

def peak_kib():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

before = peak_kib()
for _ in junit.iter_report(Path(sys.argv[1])):
    pass
print(before, peak_kib())
"""


@dataclass
class Row:
    """The figures for one report size (medians, in seconds: CPU for bare and parse, wall
    for the rest)."""

    cases: int
    file_mb: float
    bare: float
    parse: float
    check: float
    rss_mb: float
    sqlite: float | None = None
    postgres: float | None = None


def bare_loop(path: Path) -> None:
    """The floor: lxml's iterparse freeing each test case, building nothing."""
    for _, el in etree.iterparse(str(path), events=("end",)):
        if el.tag == "testcase":
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]


def our_parse(path: Path) -> None:
    """Everything `junit.iter_report` does, results built and dropped."""
    for _ in junit.iter_report(path):
        pass


def median_time(run: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_cpu_medians(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median CPU seconds of each, their calls alternated: on a shared machine, load that
    comes and goes then weighs on both alike, and time spent waiting for a CPU counts for
    neither (both run in this one thread)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for run, into in ((first, times[0]), (second, times[1])):
            start = time.process_time()
            run()
            into.append(time.process_time() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def timed_ingest(url: str, path: Path) -> float:
    """Seconds `ingest` takes to read and store the report into the migrated database `url`."""
    engine = make_engine(url)
    try:
        with engine.connect():
            pass  # connect before the clock starts
        with Session(engine) as session:
            start = time.perf_counter()
            outcome = ingest(
                session=session,
                meta=RunMeta(repo="bench/repo", provider="bench", run_id="1"),
                reports=[junit.Report(name=path.name, source=path)],
            )
            elapsed = time.perf_counter() - start
            assert outcome.created, "the run was already stored"
            assert outcome.readable == 1, outcome.files
    finally:
        engine.dispose()
    return elapsed


def sqlite_ingest(path: Path, workdir: Path) -> float:
    """Ingest into a fresh migrated SQLite file (WAL, as `upgrade` leaves it)."""
    db = workdir / f"bench-{uuid.uuid4().hex}.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    try:
        return timed_ingest(url, path)
    finally:
        for leftover in workdir.glob(f"{db.name}*"):
            leftover.unlink()


def postgres_ingest(path: Path, server_url: str) -> float:
    """Ingest into a fresh migrated schema of the server, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex}"
    admin = make_engine(server_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in server_url else "?"
        url = f"{server_url}{separator}options=-csearch_path%3D{schema}"
        upgrade(url)
        return timed_ingest(url, path)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def postgres_unreachable(url: str) -> str | None:
    """Why the server cannot be used, or None when it answers."""
    engine = make_engine(url)
    try:
        with engine.connect():
            return None
    except OperationalError as exc:
        return str(exc).splitlines()[0]
    finally:
        engine.dispose()


def parse_rss_mb(path: Path) -> float:
    """Peak RSS growth of parsing `path` in a fresh interpreter, over its RSS after imports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", RSS_CHILD, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after = (int(v) for v in result.stdout.split())
    return (after - before) / 1024


def measure(size: int, workdir: Path, repeat: int, postgres_url: str | None) -> Row:
    """All figures for one report size."""
    path = write_report(workdir / f"report-{size}.xml", size)
    streamed = path.stat().st_size > IN_MEMORY_BYTES
    bare, parse = paired_cpu_medians(lambda: bare_loop(path), lambda: our_parse(path), repeat)
    row = Row(
        cases=size,
        file_mb=path.stat().st_size / MB,
        bare=bare,
        parse=parse,
        # ingest validates reports too large to hold in memory before streaming them.
        check=median_time(lambda: junit.check_report(path), repeat) if streamed else 0.0,
        rss_mb=statistics.median(parse_rss_mb(path) for _ in range(repeat)),
    )
    row.sqlite = statistics.median(sqlite_ingest(path, workdir) for _ in range(repeat))
    if postgres_url is not None:
        row.postgres = statistics.median(postgres_ingest(path, postgres_url) for _ in range(repeat))
    path.unlink()
    return row


def _store_only(total: float | None, row: Row) -> str:
    return "-" if total is None else f"{total - row.parse - row.check:.3f}"


def _opt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def print_tables(rows: list[Row]) -> None:
    """The parse table, then the store table."""
    print("\nParsing (median CPU time, s; bare and ours alternated; check: wall time)")
    print(
        f"{'cases':>8} {'file MB':>8} {'bare s':>8} {'ours s':>8} {'cases/s':>10} "
        f"{'ours/bare':>9} {'check s':>8} {'peak RSS MB':>11}"
    )
    for r in rows:
        print(
            f"{r.cases:>8,} {r.file_mb:>8.1f} {r.bare:>8.3f} {r.parse:>8.3f} "
            f"{r.cases / r.parse:>10,.0f} {r.parse / r.bare:>9.2f} {r.check:>8.3f} "
            f"{r.rss_mb:>11.1f}"
        )
    print("\nStoring through ingest() (median wall time, s; store = ingest - parse - check)")
    print(
        f"{'cases':>8} {'sqlite ingest':>13} {'sqlite store':>12} {'rows/s':>9} "
        f"{'pg ingest':>10} {'pg store':>9} {'rows/s':>9}"
    )
    for r in rows:
        print(
            f"{r.cases:>8,} {_opt(r.sqlite):>13} {_store_only(r.sqlite, r):>12} "
            f"{_rate(r.cases, r.sqlite, r):>9} {_opt(r.postgres):>10} "
            f"{_store_only(r.postgres, r):>9} {_rate(r.cases, r.postgres, r):>9}"
        )
    print(
        f"\n'check' is the validation pass ingest() makes over reports above "
        f"{IN_MEMORY_BYTES // MB} MB before streaming them; smaller ones are read into memory."
    )


def _rate(cases: int, total: float | None, row: Row) -> str:
    if total is None:
        return "-"
    store = total - row.parse - row.check
    return f"{cases / store:,.0f}" if store > 0 else "-"


def print_targets(rows: list[Row]) -> None:
    """PASS/MISS for each target, judged on the largest and smallest sizes measured."""
    small, large = rows[0], rows[-1]
    verdicts: list[tuple[str, str, bool | None]] = [
        (
            f"parse of {large.cases:,} within {PARSE_RATIO_TARGET:g}x of the bare loop",
            f"{large.parse / large.bare:.2f}x",
            large.parse / large.bare <= PARSE_RATIO_TARGET,
        ),
        (
            f"RSS growth {small.cases:,} -> {large.cases:,} under {RSS_GROWTH_TARGET_MB:g} MB",
            f"{large.rss_mb - small.rss_mb:.1f} MB",
            large.rss_mb - small.rss_mb < RSS_GROWTH_TARGET_MB,
        ),
    ]
    for label, total, target in (
        ("SQLite", large.sqlite, SQLITE_TARGET_S),
        ("PostgreSQL", large.postgres, POSTGRES_TARGET_S),
    ):
        name = f"{large.cases:,} parsed+stored in {label} under {target:g} s"
        if total is None:
            verdicts.append((name, "not measured", None))
        else:
            verdicts.append((name, f"{total:.2f} s", total < target))
    print("\nTargets")
    for label, figure, ok in verdicts:
        status = "SKIP" if ok is None else ("PASS" if ok else "MISS")
        print(f"  {status}  {label}: {figure}")


def main(argv: list[str] | None = None) -> int:
    """Measure every size and print the tables and the targets."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated case counts")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per figure (median)")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    postgres_url: str | None = args.postgres_url
    reason = postgres_unreachable(args.postgres_url)
    if reason is not None:
        print(f"note: PostgreSQL leg skipped, {args.postgres_url} unreachable: {reason}")
        postgres_url = None
    print(f"Python {sys.version.split()[0]}, lxml {etree.__version__}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        rows = []
        for size in sizes:
            print(f"measuring {size:,} cases ...", flush=True)
            rows.append(measure(size, Path(tmp), args.repeat, postgres_url))
    print_tables(rows)
    print_targets(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
