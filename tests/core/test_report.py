"""report.render: the seed story's facts, size control and hostile text."""

from __future__ import annotations

import re
import time
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from bot.core.evaluate import (
    Evaluation,
    FailureGroup,
    ItemResult,
    PhaseResult,
    RunInput,
    TrackedResult,
    evaluate,
)
from bot.core.junit import read_report
from bot.core.metrics.base import Status
from bot.core.plan import Phase, Plan, parse
from bot.core.results import CaseResult, Outcome, SuiteResult, Totals
from bot.core.summary import FOOTER, MARKER, MIN_LIMIT, render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
LIVE_MENTION = re.compile(r"@[A-Za-z0-9-]")
# The only HTML the report may contain: its marker and its own folds.
OWN_HTML = re.compile(r"<!-- remediation-bot:summary -->|</?details>|</?summary>")
HOSTILE = [
    "@everyone",
    "</details>",
    "| a | b |",
    "<img src=x onerror=alert(1)>",
    "```",
    "[x](javascript:alert(1))",
    "line\r\nbreak\n# heading",
]


@cache
def seed() -> tuple[Plan, tuple[Evaluation, ...]]:
    """The seed story: issue #870 and the three runs of fixtures/seed-story."""
    plan = parse((FIXTURES / "issue-870.md").read_text(encoding="utf-8"))
    runs: list[RunInput] = []
    for number in (1, 2, 3):
        cases: list[CaseResult] = []
        suites: list[SuiteResult] = []
        for path in sorted((FIXTURES / "seed-story" / f"run{number}").glob("*.xml")):
            report = read_report(path)
            cases += report.cases
            suites += report.suites
        url = f"https://github.com/o/r/actions/runs/{number}"
        runs.append(RunInput(cases, suites, label=f"run {number}", url=url))
    return plan, tuple(evaluate(plan, runs[: n + 1]) for n in range(3))


def _phase_section(report: str, number: int) -> str:
    start = report.index(f"**Phase {number}:")
    end = report.find("**Phase ", start + 1)
    return report[start : end if end != -1 else len(report)]


def _assert_safe(report: str, limit: int) -> None:
    """Within the limit, marker first, folds balanced, no ping, no HTML but the bot's own."""
    assert len(report) <= limit
    assert report.split("\n", 1)[0] == MARKER
    assert report.count("<details>") == report.count("</details>")
    assert not LIVE_MENTION.search(report)
    assert not re.search(r"<[A-Za-z/!?]", OWN_HTML.sub("", report))
    for token in MD.parse(report):
        if token.type == "html_block":
            assert re.fullmatch(r"[\w\s]*", OWN_HTML.sub("", token.content))  # "4 tests"
        for child in token.children or []:
            if child.type == "html_inline":
                assert OWN_HTML.fullmatch(child.content)


def test_first_run_headline_and_phases() -> None:
    plan, (first, _, _) = seed()
    report = render(first, plan)
    _assert_safe(report, 65_000)
    assert "**6/14 passing (42.9%)**" in report
    assert "❌ 7 failed" in report
    assert "⚠️ 1 error" in report
    assert "Items met: **1 of 5**" in report
    assert "Trend: first run" in report
    assert "[run 1](https://github.com/o/r/actions/runs/1)" in report
    assert "create_agent_instance'`" in _phase_section(report, 1)
    assert "Duplicate memory marker" in _phase_section(report, 2)
    assert "no failures mapped" in _phase_section(report, 3)
    assert "6/12 passing, but its own table sums to 6 of 14" in report
    assert report.rstrip().endswith(FOOTER)


def test_first_run_table_and_metrics() -> None:
    plan, (first, _, _) = seed()
    report = render(first, plan)
    table = [token for token in MD.parse(report) if token.type == "tr_open"]
    assert len(table) == 1 + len(first.tracked)
    assert "| 0/5 | ❌ failing |" in report
    assert "| 1/1 | ✅ passing | 0.16s | 214.6 MB |" in report
    assert "✅ **met** · Memory usage remains stable under 250MB" in report
    assert report.count("❌ **unmet**") == 4


def test_later_runs_show_the_trend_and_the_fixes() -> None:
    plan, (_, second, third) = seed()
    report = render(second, plan)
    assert "**11/14 passing (78.6%)**" in report
    assert "▲ +35.7 pts (42.9% → 78.6%)" in report
    assert "Newly fixed (5)" in report
    assert "no failures mapped" in _phase_section(report, 1)
    assert "Duplicate memory marker" in _phase_section(report, 2)
    final = render(third, plan)
    assert "**14/14 passing (100%)**" in final
    assert "Items met: **5 of 5** (all criteria met)" in final
    assert final.count("no failures mapped") == 3


def test_blank_title_falls_back_to_the_default_heading() -> None:
    plan, (first, _, _) = seed()
    assert "### Remediation status\n" in render(first, plan, title=" \n ")
    # A title is stranger text too: its `#870` shows, but links nothing.
    assert "### Issue \\#\u200b870\n" in render(first, plan, title="Issue #870")


def test_render_is_deterministic() -> None:
    plan, evaluations = seed()
    for evaluation in evaluations:
        assert render(evaluation, plan) == render(evaluation, plan)


def _synthetic(
    names: list[str], messages: list[str], *, text: str = "item"
) -> tuple[Evaluation, Plan]:
    """One failure group per test, alternately in phase 1 and unplanned."""
    groups = [
        FailureGroup(signature=m, message=m, tests=(n,), phase=1 if i % 2 else None, reason=m)
        for i, (n, m) in enumerate(zip(names, messages, strict=False))
    ]
    planned = tuple(g for g in groups if g.phase == 1)
    evaluation = Evaluation(
        totals=Totals(tests=len(names) + 1, passed=1, failed=len(names)),
        previous=Totals(tests=2, passed=2),
        items=(
            ItemResult(0, text, checked=True, status=Status.UNMET, evidence=text),
            ItemResult(1, text, checked=False, status=Status.MANUAL, evidence=text),
        ),
        phases=(
            PhaseResult(1, text, text, tuple(t for g in planned for t in g.tests), planned),
            PhaseResult(2, "Phase 2", text, (), ()),
        ),
        unplanned=tuple(g for g in groups if g.phase is None),
        tracked=tuple(TrackedResult(n, 0, 1, "failing", 1.5, 2e8) for n in names[:50]),
        newly_failing=tuple(names),
        flaky=tuple(names[:2]),
        ignored=tuple(names[:1]),
        discrepancies=tuple(messages[:3]),
        run_label=text,
        run_url="https://example.test/run?(x)=@octocat`",
    )
    plan = Plan(phases=(Phase(1, text, text, priority=text, estimate=text),))
    return evaluation, plan


def test_thousands_of_huge_failures_stay_under_the_limit() -> None:
    megabyte = "n" * 1_000_000
    names = [f"{megabyte}{i}" if i < 5 else f"tests/test_{i}.py::test_{i}" for i in range(5000)]
    messages = [f"Error {i}: " + "m" * 2048 for i in range(5000)]
    evaluation, plan = _synthetic(names, messages)
    started = time.perf_counter()
    report = render(evaluation, plan)
    assert time.perf_counter() - started < 10
    _assert_safe(report, 65_000)
    assert "… and" in report  # lists were cut, not silently dropped


@pytest.mark.parametrize("limit", [MIN_LIMIT, 2_000, 10_000])
def test_small_limits_cut_at_a_line_and_close_the_folds(limit: int) -> None:
    names = [f"tests/test_{i}.py::test_{i}" for i in range(400)]
    evaluation, plan = _synthetic(names, [f"Error {i}" for i in range(400)])
    report = render(evaluation, plan, limit=limit)
    _assert_safe(report, limit)
    assert report.rstrip().endswith(FOOTER)


def test_limit_below_the_minimum_is_refused() -> None:
    plan, (first, _, _) = seed()
    with pytest.raises(ValueError, match="limit"):
        render(first, plan, limit=MIN_LIMIT - 1)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_is_neutralised_everywhere(hostile: str) -> None:
    names = [hostile, f"{hostile}::test", "a" * 10]
    evaluation, plan = _synthetic(names * 2, [hostile] * 6, text=hostile)
    report = render(evaluation, plan, title=hostile)
    _assert_safe(report, 65_000)
    tokens = MD.parse(report)
    rows = [i for i, token in enumerate(tokens) if token.type == "tr_open"]
    for start in rows:
        end = next(i for i in range(start, len(tokens)) if tokens[i].type == "tr_close")
        cells = [t for t in tokens[start:end] if t.type in ("td_open", "th_open")]
        assert len(cells) == 5
    assert not any(
        token.type == "link_open" and "javascript" in str(token.attrs)
        for token in [child for token in tokens for child in token.children or []]
    )


@settings(max_examples=100, deadline=None)
@given(
    names=st.lists(st.text(), max_size=12),
    messages=st.lists(st.text(), max_size=12),
    text=st.text(),
    limit=st.sampled_from([MIN_LIMIT, 3_000, 65_000]),
)
def test_any_text_renders_safely(
    names: list[str], messages: list[str], text: str, limit: int
) -> None:
    evaluation, plan = _synthetic(names, messages, text=text)
    _assert_safe(render(evaluation, plan, title=text, limit=limit), limit)


def test_per_phase_criteria_are_shown_with_their_phase() -> None:
    body = (
        "## Phase 1: Imports\nx\n## Phase 2: Mocks\ny\n## Success criteria\n"
        "### Phase 1 Success Criteria\n- [ ] `tests/test_imports.py` passes\n"
        "### Overall\n- [ ] 95% pass rate\n"
    )
    parsed = parse(body)
    case = CaseResult(
        suite="s", classname="c", name="t", outcome=Outcome.PASSED, file="tests/test_imports.py"
    )
    comment = render(evaluate(parsed, [RunInput(cases=[case])]), parsed)
    assert "**Phase 1: Imports** — ✅ no failures mapped · criteria: `#0` ✅" in comment
    assert "**Phase 2: Mocks** — ✅ no failures mapped\n" in comment


def test_with_every_measured_item_met_the_headline_counts_the_manual_ones_left() -> None:
    body = "- [ ] All tests pass\n- [ ] Docs reviewed by the team\n- [x] Runbook updated\n"
    parsed = parse(body)
    run = RunInput(cases=[CaseResult(suite="s", classname="c", name="t", outcome=Outcome.PASSED)])
    report = render(evaluate(parsed, [run]), parsed)
    assert "Items met: **1 of 1** (all measured criteria met; 1 manual item left)" in report
