"""Synthetic pytest-like JUnit reports: 10% failures with ~2 KB tracebacks, 5% skipped."""

from __future__ import annotations

import random
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

TRACEBACK_LINE = (
    '  File "/src/app/module_{n}.py", line {line}, in handler_{n}\n    result = compute(value)\n'
)


def _traceback(rng: random.Random) -> str:
    lines = [
        TRACEBACK_LINE.format(n=rng.randrange(100), line=rng.randrange(1000)) for _ in range(22)
    ]
    return "Traceback (most recent call last):\n" + "".join(lines) + "AssertionError: assert 1 == 2"


def write_report(path: Path, cases: int, *, seed: int = 7) -> Path:
    """Write a report of `cases` test cases spread over files of 50 tests each."""
    rng = random.Random(seed)
    failures = skipped = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        out.write(f'<testsuite name="pytest" tests="{cases}" time="1.0">\n')
        for index in range(cases):
            module = f"tests/unit/test_module_{index // 50}.py"
            classname = f"tests.unit.test_module_{index // 50}.TestThing"
            name = f"test_case_{index}"
            attrs = (
                f"classname={quoteattr(classname)} name={quoteattr(name)} file={quoteattr(module)}"
            )
            roll = rng.random()
            out.write(f'<testcase {attrs} time="{rng.random():.3f}">')
            if roll < 0.10:
                failures += 1
                message = f"AssertionError: value {index} differs"
                out.write(
                    f"<failure message={quoteattr(message)}>{escape(_traceback(rng))}</failure>"
                )
            elif roll < 0.15:
                skipped += 1
                out.write('<skipped type="pytest.skip" message="not on this platform"/>')
            out.write("</testcase>\n")
        out.write("</testsuite>\n</testsuites>\n")
    return path
