"""readings: each item's reading in words and its origin, suggested rules, and the summary fold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import reconcile
from bot.core.evaluate import RunInput, evaluate
from bot.core.metrics import parse_rule
from bot.core.plan import parse
from bot.core.readings import Origin, describe, read, suggest
from bot.core.repoconfig import RepoConfig, RuleEntry
from bot.core.results import CaseResult, Outcome
from bot.core.summary import render

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "issue-870.md"
SECTION = "<details><summary>How the checklist is read</summary>"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("pass-rate >= 95%", "pass rate ≥ 95% over all tests"),
        ("tests tests/test_auth.py 12", "`tests/test_auth.py`: all tests pass (12 expected)"),
        ("tests tests/test_auth.py", "`tests/test_auth.py`: all tests pass"),
        ("duration each <= 2s", "each test ≤ 2s"),
        ("duration mean < 200ms", "mean test time < 0.2s"),
        ("duration total <= 5min", "all tests together ≤ 5 min"),
        ("duration total <= 5min passing", "all tests together ≤ 5 min, all passing"),
        ("memory <= 260MB", "peak memory ≤ 260 MB"),
        ("zero timeout", "no failures mentioning timeout among related tests"),
        ("pass-rate tests/e2e/ >= 80%", "pass rate ≥ 80% over `tests/e2e/`"),
        ("duration each tests/test_big.py <= 30s", "each test of `tests/test_big.py` ≤ 30s"),
        ("streak 3 tests test_auth.py", "`test_auth.py` pass in 3 runs in a row"),
        ("window 9/10", "all tests pass in at least 9 of 10 runs"),
        ("no-flaky", "no test flips between pass and fail over the runs read"),
        ("no-new-failures", "no test fails that passed in the first run read"),
    ],
)
def test_each_kind_is_described_in_words(rule: str, words: str) -> None:
    metric = parse_rule(rule)
    assert metric is not None
    assert describe(metric) == words


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("All 643 tests still passing", "the whole run: all tests pass (643 expected)"),
        (
            "No TypeError in any circuit breaker test",
            "no failures mentioning typeerror in tests about circuit breaker among related tests",
        ),
    ],
)
def test_readings_from_real_plans_are_described(text: str, words: str) -> None:
    (reading,) = read(parse(f"- [ ] {text}\n"))
    assert reading.reading == words


def test_the_seed_is_read_from_its_text() -> None:
    readings = read(parse(SEED.read_text(encoding="utf-8")))
    assert [r.origin for r in readings] == [Origin.TEXT] * 5
    assert readings[2].words == "peak memory ≤ 250 MB (read from the text)"
    assert readings[3].words == "each test < 0.5s (read from the text)"
    assert all(r.suggestion is None for r in readings)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Test suite reaches 95%", "pass-rate >= 95%"),
        ("At least 90 percent of tests", "pass-rate >= 90%"),
        ("`tests/test_auth.py` fixed", "tests tests/test_auth.py"),
        ("Each test takes about 2 seconds", "duration each <= 2s"),
        ("Average test around 200 ms", "duration mean <= 0.2s"),
        ("RSS stays around 300MB", "memory <= 300MB"),
    ],
)
def test_manual_items_close_to_a_metric_get_a_rule_that_parses(text: str, rule: str) -> None:
    plan = parse(f"- [ ] {text}\n")
    (reading,) = read(plan)
    assert reading.reading is None  # manual as written
    assert reading.suggestion == rule
    parse_rule(rule)


@pytest.mark.parametrize(
    "text",
    [
        "No errors in the logs of the 95% of tests",
        "Coverage of tests above 80%",
        "API latency of tests under 2 s",
        "Refactor `test_helpers.py`",
        "Document the new API",
        "Memory leaks of 20MB gone",
        "Test run time reduced by 30%",
    ],
)
def test_no_suggestion_for_other_subjects_or_words_that_do_not_say_so(text: str) -> None:
    assert suggest(text) is None


def test_rules_say_where_they_came_from_and_commands_win() -> None:
    body = (
        "- [ ] Suite green\n- [ ] Memory fine\n"
        "- [ ] Fast <!-- remediation: duration each <= 1s -->\n"
    )
    config = RepoConfig(
        rules=[
            RuleEntry(index=0, rule="pass-rate >= 80%"),
            RuleEntry(item="Memory fine", rule="memory <= 1GB"),
        ]
    )
    plan, readings = reconcile.read_checklist(body, config, {"Suite green": "pass-rate >= 99%"})
    assert plan.items[0].rule == "pass-rate >= 99%"
    assert [r.origin for r in readings] == [Origin.COMMAND, Origin.CONFIG, Origin.COMMENT]
    assert readings[0].words == "pass rate ≥ 99% over all tests (rule set by command)"
    assert readings[1].words == "peak memory ≤ 1 GB (rule from .github/remediation.yml)"
    manual = reconcile.read_checklist(body, config, {"Memory fine": "manual"})[1][1]
    assert manual.words == "manual: a rule says it is manual (rule set by command)"
    assert manual.suggestion is None  # a person decided: nothing to suggest
    assert reconcile.read_plan(body, config, {"Suite green": "manual"}).items[0].metric is None


def _evaluated(body: str) -> str:
    plan, readings = reconcile.read_checklist(body, RepoConfig())
    case = CaseResult(suite="s", classname="c", name="t", outcome=Outcome.PASSED, duration=0.1)
    evaluation = evaluate(plan, [RunInput(cases=[case], suites=[], label="run")])
    return render(evaluation, plan, readings=readings)


def test_the_summary_folds_the_readings_with_stranger_text_escaped() -> None:
    report = _evaluated("- [ ] Test suite reaches 95% @everyone <img src=x>\n- [ ] No log errors\n")
    section = report.split(SECTION, 1)[1].split("</details>", 1)[0]
    assert "- `#0` Test suite reaches 95% @\u200beveryone &lt;img src\\=x&gt; — manual:" in section
    assert "  - to measure it: `/remediation rule #0 pass-rate >= 95%`" in section
    assert "- `#1` No log errors — manual: about logs, not test results" in section


def test_the_readings_are_cut_first_when_the_comment_is_too_long() -> None:
    body = "".join(f"- [ ] Test suite reaches {n}% in batch {'x' * 150}\n" for n in range(40))
    full = _evaluated(body)
    assert SECTION in full
    plan, readings = reconcile.read_checklist(body, RepoConfig())
    evaluation = evaluate(plan, [RunInput(cases=[], suites=[], label="run")])
    without = render(evaluation, plan)
    limit = len(without) + 10
    cut = render(evaluation, plan, readings=readings, limit=limit)
    assert SECTION not in cut
    assert cut == without  # everything else at full detail


def test_a_vague_group_gets_a_folder_rule_to_confirm_and_a_topic_is_read() -> None:
    (critical, login) = read(
        parse("- [ ] Critical tests: >90% pass rate\n- [ ] All login tests pass\n")
    )
    assert critical.reading is None
    assert critical.suggestion == "pass-rate critical/ > 90%"
    assert login.reading == (
        "tests about “login” (`login/`: folder, file, class or name): all tests pass"
    )
