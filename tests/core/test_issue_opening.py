"""Whether a red run opens an issue, for which failures, and who it goes to (no I/O)."""

from __future__ import annotations

import pytest

from bot.core import plan
from bot.core.evaluate import RunInput
from bot.core.mapping import signature
from bot.core.opening import covered_by_plans, decide, owners, title
from bot.core.results import CaseResult, Outcome


def _case(name: str, message: str | None = None, file: str = "tests/test_a.py") -> CaseResult:
    outcome = Outcome.FAILED if message else Outcome.PASSED
    return CaseResult(
        suite="s", classname="", name=name, outcome=outcome, file=file, message=message
    )


RUN = RunInput(
    cases=[
        _case("test_ok"),
        _case("test_pool", "TypeError: bad pool_timeout", file="tests/db/test_pool.py"),
        _case("test_marker", "AssertionError: duplicate marker 17"),
        _case("test_marker_2", "AssertionError: duplicate marker 99"),
    ]
)


def test_failures_nothing_covers_open_one_issue_about_them_only() -> None:
    covered = {signature(RUN.cases[1])}
    opening, why = decide(RUN, covered=covered, opened_today=0, per_day=3, from_fork=False)
    assert opening is not None
    assert why == "2 failures no open issue covers"
    assert opening.signatures == ("AssertionError: duplicate marker <n>",)
    assert [c.name for c in opening.run.cases] == ["test_ok", "test_marker", "test_marker_2"]
    assert opening.paths == ("tests/test_a.py",)
    assert title(opening, "main") == "Test failures on main: 2 failing, 1 root cause"


@pytest.mark.parametrize(
    ("covered", "opened_today", "from_fork", "why"),
    [
        ({signature(c) for c in RUN.cases[1:]}, 0, False, "every failure is covered"),
        (set(), 3, False, "already 3 issues opened today"),
        (set(), 0, True, "a fork's run never opens issues"),
    ],
)
def test_covered_capped_or_forked_runs_open_nothing(
    covered: set[str], opened_today: int, from_fork: bool, why: str
) -> None:
    opening, said = decide(
        RUN, covered=covered, opened_today=opened_today, per_day=3, from_fork=from_fork
    )
    assert opening is None
    assert said.startswith(why)


def test_a_plan_with_a_phase_for_a_failure_covers_it() -> None:
    body = "### Phase 1: Fix the pool\n\n`tests/db/test_pool.py` fails on `pool_timeout`.\n"
    assert covered_by_plans(RUN, [plan.parse(body)]) == {"TypeError: bad pool_timeout"}
    assert covered_by_plans(RUN, [plan.parse("- [ ] no phases here\n")]) == set()


CODEOWNERS = """\
# Last match wins, as on GitHub.
*                 @everyone
*.py              @python-owner
/tests/db/        @db-owner @acme/db-team
docs/             docs@example.com
/apps/web         @web-owner
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/db/test_pool.py", ["db-owner"]),  # a team cannot be assigned
        ("tests/test_a.py", ["python-owner"]),
        ("src/main.go", ["everyone"]),
        ("apps/web/src/login.spec.ts", ["web-owner"]),
        ("docs/guide.md", []),  # an e-mail address is no login
    ],
)
def test_codeowners_gives_the_logins_of_the_last_matching_line(
    path: str, expected: list[str]
) -> None:
    assert owners(CODEOWNERS, [path]) == expected
