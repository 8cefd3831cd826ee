"""Items as real plans write them (issue #15's list), read by `plan.parse` into kind and scope.

Each case is the answer a careful maintainer gives; `None` means the item stays manual.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import plan
from bot.core.evaluate import RunInput, evaluate
from bot.core.metrics.base import Status
from bot.core.results import CaseResult, Outcome


def _reading(body: str, index: int = 0) -> dict[str, Any] | None:
    item = plan.parse(body).items[index]
    if item.metric is None:
        return None
    found = item.metric.as_dict()
    found.pop("source", None)
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Tests named in code spans, commands, folders and packages.
        (
            "`test_services_injected` → PASS",
            {"kind": "tests_passing", "selector": "test_services_injected"},
        ),
        (
            "`pytest tests/unit/test_auth.py -v` passes with 0 failures",
            {"kind": "tests_passing", "selector": "tests/unit/test_auth.py"},
        ),
        (
            "Verify: `python3 -m pytest tests/table/test_misc.py -k getitem_int_row -v`.",
            {"kind": "tests_passing", "selector": "tests/table/test_misc.py::*getitem_int_row*"},
        ),
        (  # an expression: the whole file, whose passing covers what it selects
            'Verify: `pytest tests/table/test_misc.py -k "dtypes or cast" -v`',
            {"kind": "tests_passing", "selector": "tests/table/test_misc.py"},
        ),
        (
            "run `python -m pytest tests/x/test_y.py` until it passes",
            {"kind": "tests_passing", "selector": "tests/x/test_y.py"},
        ),
        (
            "Verify: `go test ./pkg/models/... -v`",
            {"kind": "tests_passing", "selector": "pkg/models/"},
        ),
        (
            "`internal/crypto` - 100% PASS ✅",
            {"kind": "tests_passing", "selector": "internal/crypto/"},
        ),
        ("UserTest passes", {"kind": "tests_passing", "selector": "UserTest"}),
        (
            "`basic.test.js` - 기본 프로젝트 구조",
            {"kind": "tests_passing", "selector": "basic.test.js"},
        ),
        ("All 643 tests still passing", {"kind": "tests_passing", "expected": 643}),
        ("910/910 tests passing", {"kind": "tests_passing", "expected": 910}),
        (
            "Ejecutar `pytest tests/api/ -v` → 33 tests deben pasar",
            {"kind": "tests_passing", "selector": "tests/api/", "expected": 33},
        ),
        # Scoped rates, failure rates and targets after a baseline.
        (
            "SecurityUtils tests: >95% pass rate",
            {
                "kind": "pass_rate",
                "selector": "SecurityUtils",
                "threshold": 0.95,
                "comparison": ">",
            },
        ),
        (
            "Unit test failure rate < 5%",
            {"kind": "pass_rate", "selector": "unit/", "threshold": 0.95, "comparison": ">"},
        ),
        (
            "Reduce failure rate from 81% to <50%",
            {"kind": "pass_rate", "threshold": 0.5, "comparison": ">"},
        ),
        (
            "Test failure rate: 17.8% → 0.5%",
            {"kind": "pass_rate", "threshold": 0.995, "comparison": ">="},
        ),
        # Zero-failure items in the words real plans use.
        ("pytest collects (0 marker errors)", {"kind": "zero_failures", "words": ["marker"]}),
        ("The suite runs without import errors", {"kind": "zero_failures", "words": ["import"]}),
        ("**Syntax errors:** 68 → 0", {"kind": "zero_failures", "words": ["syntax"]}),
        (
            "No TypeError in any circuit breaker test",
            {"kind": "zero_failures", "words": ["typeerror"], "within": ["circuit", "breaker"]},
        ),
        # Durations of tests, and of named tests.
        (
            "No test slower than 2s",
            {"kind": "duration", "threshold": 2.0, "comparison": "<=", "scope": "each"},
        ),
        (
            "`test_big_import` completes within the 30-second timeout",
            {
                "kind": "duration",
                "selector": "test_big_import",
                "threshold": 30.0,
                "comparison": "<=",
                "scope": "each",
            },
        ),
        # Several runs.
        ("10 consecutive green runs", {"kind": "streak", "runs": 10}),
        # A share of runs is read as that many runs green: stricter than any average of them.
        (
            "Test suite achieves 95%+ stability rate over 50 consecutive runs",
            {"kind": "window", "expected": 48, "runs": 50},
        ),
        ("Flaky test rate < 1%", {"kind": "no_flaky"}),  # no flaky test bounds any rate
        ("**Stability Rate**: 95%+ pass rate over multiple runs", None),  # how many?
        ("Zero failures in `tests/api/`", {"kind": "tests_passing", "selector": "tests/api/"}),
        (
            "Fix `test_process_zip_corrupted` (collection FK precondition)",
            {"kind": "tests_passing", "selector": "test_process_zip_corrupted"},
        ),
        ("**CI Integration**: Tests run successfully in CI", {"kind": "tests_passing"}),
        (
            "All tests pass: `cargo test -p cortex-memory`",
            {"kind": "tests_passing", "selector": "cortex-memory"},
        ),
        ("Run unit tests and fix issues", {"kind": "tests_passing", "selector": "unit/"}),
        # A group's rate without the word "tests" is still that group's, not the run's.
        (
            "E2E pass rate ≥ 80%",
            {"kind": "pass_rate", "selector": "e2e/", "threshold": 0.8, "comparison": ">="},
        ),
        ("CI pass rate ≥ 95%", {"kind": "pass_rate", "threshold": 0.95, "comparison": ">="}),
        # A group's mean is its own; its slowest test and total are bounded by the run's.
        (
            "Unit tests average under 100ms",
            {
                "kind": "duration",
                "selector": "unit/",
                "threshold": 0.1,
                "comparison": "<=",
                "scope": "mean",
            },
        ),
        (
            "Average test time under 100ms",
            {"kind": "duration", "threshold": 0.1, "comparison": "<=", "scope": "mean"},
        ),
        (
            "No more `TimeoutError` in `tests/integration/`",
            {"kind": "zero_failures", "words": ["timeouterror"], "selector": "tests/integration/"},
        ),
        (
            "`auth::tests::test_login` - ✅ FIXED",
            {"kind": "tests_passing", "selector": "auth::tests::test_login"},
        ),
        ("`std::vector` - fixed", None),  # two segments: a C++ name, not a Rust test path
        # Zero failures of the whole run, in its usual words.
        ("Zero failures", {"kind": "tests_passing"}),
        ("0 failed, 0 errors", {"kind": "tests_passing"}),
        ("Failing tests: 23 → 0", {"kind": "tests_passing"}),
        ("No errors", None),  # errors of what: logs, builds?
        (
            "`pytest tests/unit` exits with code 0",
            {"kind": "tests_passing", "selector": "tests/unit/"},
        ),
        (
            "Fix the 3 failing tests in test_parser.py",
            {"kind": "tests_passing", "selector": "test_parser.py", "expected": 3},
        ),
        (
            "Fix: `TestPaymentService.test_refund` (NullPointerException)",
            {"kind": "tests_passing", "selector": "TestPaymentService::test_refund"},
        ),
        ("The `auth` package tests pass", {"kind": "tests_passing", "selector": "auth/"}),
        (
            "`cortex-memory` crate tests pass",
            {"kind": "tests_passing", "selector": "cortex-memory"},
        ),
        ("tests/unit: 0 failures", {"kind": "tests_passing", "selector": "tests/unit/"}),
        ("All 4 failing tests now pass", None),  # which four? they may not even have run
        (
            "`test_login_redirect` passes consistently (5 runs)",
            {"kind": "streak", "selector": "test_login_redirect", "runs": 5},
        ),
        (
            "Flaky test `test_ws_reconnect` stabilized",
            {"kind": "no_flaky", "selector": "test_ws_reconnect"},
        ),
        # A counter is progress toward all of them passing.
        (
            "**Controller tests**: 0/35",
            {"kind": "tests_passing", "selector": "controller/", "expected": 35},
        ),
        ("Tests: 10/35", {"kind": "tests_passing", "expected": 35}),
        ("Phase 2 tests: 3/5", None),  # the phase's tests: which are they?
        ("Run the tests and fix any failures", {"kind": "tests_passing"}),
        (
            "### Phase 3 — Fix `test_chunks_unknown_uuid` collection FK precondition",
            {"kind": "tests_passing", "selector": "test_chunks_unknown_uuid"},
        ),
        ("既存のpytestが全て通過する", {"kind": "tests_passing"}),
        (
            "Task 3: isValidOutputContentテストが成功すること",
            {"kind": "tests_passing", "selector": "isValidOutputContent"},
        ),
        (
            "No tests fail due to `None` fixture values",
            {"kind": "zero_failures", "words": ["none", "fixture", "valu"]},
        ),
        (
            "**CI Integration**: Tests run successfully in CI/CD environment",
            {"kind": "tests_passing"},
        ),
        ("Fix `test_login` to use the new fixture", None),  # a refactor: passing proves nothing
        ("910/910 tests passing, quality verified", None),
        # Not about test results: manual.
        ("All tests pass on Windows", None),
        ("All tests green in CI for 2 weeks", None),
        ("Critical tests: >90% pass rate", None),  # a group the plan does not pin down
        ("Cross-component validation: 100% success", None),
        ("collection time < 5 s", None),
        ("< 5 s overhead per test run", None),
        # The threshold is asserted inside the test: the test passing proves it, no duration.
        (
            "performance test passes (<25 ms threshold)",
            {"kind": "tests_passing", "selector": "performance/"},
        ),
        ("memory reduced by 75%", None),
        ("-30% time", None),
        ("No hardcoded paths in test files", None),
        ("`internal/cli/a_test.go` → `internal/app/a_test.go`", None),
        ("Verify all tests pass locally", None),
        ("Ejecutar `pytest --markers` para validar", None),
        (
            "Verify: `pytest tests/a/test_b.py tests/a/test_c.py`",
            {"kind": "tests_passing", "selector": "tests/a/test_b.py,tests/a/test_c.py"},
        ),
        ("Add test to verify <2 second completion", None),
        ("Test passes with dict input", None),  # which test?
        # A figure after "to" or an arrow is the target; the one before it a baseline.
        (
            "Pass rate from 72% to 95%+",
            {"kind": "pass_rate", "threshold": 0.95, "comparison": ">="},
        ),
        (  # the figure is of failures, though the words come after it
            "17.8% → 0.5% failure rate",
            {"kind": "pass_rate", "threshold": 0.995, "comparison": ">="},
        ),
        (
            "No more than 5% tests failing",
            {"kind": "pass_rate", "threshold": 0.95, "comparison": ">="},
        ),
        (
            "< 2% of unit tests fail",
            {"kind": "pass_rate", "selector": "unit/", "threshold": 0.98, "comparison": ">"},
        ),
        (  # "under 1%" failing is strictly above 99% passing
            "Test failure rate under 1%",
            {"kind": "pass_rate", "threshold": 0.99, "comparison": ">"},
        ),
        ("Test success rate ≥ 98%", {"kind": "pass_rate", "threshold": 0.98, "comparison": ">="}),
        ("Login success rate > 98%", None),  # a service's rate
        # Pass and failure rates in other languages: figures and comparisons are the same.
        ("测试通过率 >80%", {"kind": "pass_rate", "threshold": 0.8, "comparison": ">"}),
        ("失败率降至 <3%", {"kind": "pass_rate", "threshold": 0.97, "comparison": ">"}),
        ("失败测试: <3%", {"kind": "pass_rate", "threshold": 0.97, "comparison": ">"}),
        ("テスト合格率 95%以上", {"kind": "pass_rate", "threshold": 0.95, "comparison": ">="}),
        ("테스트 통과율 90% 이상", {"kind": "pass_rate", "threshold": 0.9, "comparison": ">="}),
        (
            "Taxa de aprovação dos testes ≥ 95%",
            {"kind": "pass_rate", "threshold": 0.95, "comparison": ">="},
        ),
        (
            "Taux de réussite des tests ≥ 90%",
            {"kind": "pass_rate", "threshold": 0.9, "comparison": ">="},
        ),
        ("API 成功率 > 99%", None),  # a service's success rate
        # A bare Python test function is that test; a plan's "execution time" is its run's.
        (
            "test_search_all_projects_with_indexing: < 15s (was 81.76s)",
            {
                "kind": "duration",
                "selector": "test_search_all_projects_with_indexing",
                "threshold": 15.0,
                "comparison": "<",
                "scope": "each",
            },
        ),
        (
            "< 5 minute execution time",
            {"kind": "duration", "threshold": 300.0, "comparison": "<", "scope": "total"},
        ),
        ("Query execution time < 100ms", None),
        # Every one of a count passing is that count, not a rate.
        (
            "Test suite reports **1,145/1,145 passing (100%)**",
            {"kind": "tests_passing", "expected": 1145},
        ),
        # Over several runs.
        ("Run full test suite 3 times to verify consistency", {"kind": "streak", "runs": 3}),
        ("No new flaky tests introduced", {"kind": "no_flaky"}),
        ("No flaky tests (pass 10/10 runs)", {"kind": "no_flaky", "runs": 10}),
        ("No flaky tests (pass 9/10 runs)", None),
        # What the tests' code does, or a figure to report, is no test result.
        ("Test collection takes <5 seconds", None),
        ("Tests passing count", None),
        ("No tests accept 500-level errors as success", None),
        ("No `contextlib.suppress(Exception)` in tests", None),
        ("No violations in codebase", None),
        # A test function named to fix, with what was wrong with it: done when it passes.
        (
            "[PATH-001] Fix test_approval_gate_documentation path reference",
            {"kind": "tests_passing", "selector": "test_approval_gate_documentation"},
        ),
        ("Fix test_x lint warnings", None),
        ("Fix gemini.test.ts imports and assertions", None),  # the imports may be the work
        # A group said to be fixed, a counter of failures down to zero, a noted test class.
        ("Unit Tests Fixed", {"kind": "tests_passing", "selector": "unit/"}),
        ("E2E Tests Fixed", {"kind": "tests_passing", "selector": "e2e/"}),
        (
            "Deduplication hook: 2 failures → 0",
            {"kind": "tests_passing", "selector": "deduplication-hook/"},
        ),
        (
            "**Integration Tests**: Database and API tests passing (✅ Green)",
            {"kind": "tests_passing", "selector": "integration/"},
        ),
        (
            "test_api.py: 12/12",
            {"kind": "tests_passing", "selector": "test_api.py", "expected": 12},
        ),
        ("`test_api.py` ✅", {"kind": "tests_passing", "selector": "test_api.py"}),
        (
            "`UserServiceTest.testLogin` passes",
            {"kind": "tests_passing", "selector": "UserServiceTest::testLogin"},
        ),
        (
            "`test_create_user` no longer fails",
            {"kind": "tests_passing", "selector": "test_create_user"},
        ),
        (
            "`test_auth_refresh` un-skipped and passing",
            {"kind": "tests_passing", "selector": "test_auth_refresh"},
        ),
        ("`test_x` refactored and passing", None),  # its passing does not show the refactor
        ("`make test` passes", {"kind": "tests_passing"}),
        ("`make test-integration-x` passes", None),  # a target the bot cannot see into
        (
            "Guild-aware tests: 25+/25 passing (100%)",
            {"kind": "tests_passing", "selector": "guild-aware/", "expected": 25},
        ),
        ("Zero import/export errors", {"kind": "zero_failures", "words": ["import", "export"]}),
        ("Fix remaining tests", None),  # an activity
        ("Fix API contract tests", None),
        (
            "ModelImageHelpersTest - Image blank detection logic",
            {"kind": "tests_passing", "selector": "ModelImageHelpersTest"},
        ),
        ("UserServiceTest - add tests for edge cases", None),
        # A kind of failure said to be gone.
        ("Timeout issues fixed", {"kind": "zero_failures", "words": ["timeout"]}),
        (
            "Task 3.1: AssertionError fixes (44 failures)",
            {"kind": "zero_failures", "words": ["assertionerror"]},
        ),
        ("Fix all lint errors", None),
        ("**CRIT-003** - Runtime panics FIXED", None),
        # Fixes in other languages, named by their test files.
        (
            "修复file-manager.test.js (61个测试) ✅",
            {"kind": "tests_passing", "selector": "file-manager.test.js", "expected": 61},
        ),
        (
            "file-manager.test.js: 0个失败 ✅",
            {"kind": "tests_passing", "selector": "file-manager.test.js"},
        ),
        (
            "CreatePageDialog テストの修正",
            {"kind": "tests_passing", "selector": "CreatePageDialog"},
        ),
        # A test command after `cd`, and a plan's success rate of its tests.
        (
            "Run complete test suite: Execute `cd api && uv run pytest tests/dify/ -v` and verify "
            "ALL tests pass (100% success rate)",
            {"kind": "tests_passing", "selector": "tests/dify/"},
        ),
        (
            "Integration tests pass locally and CI",
            {"kind": "tests_passing", "selector": "integration/"},
        ),
        ("~3 tests fixed", None),  # progress made, not every test passing
        (
            "All 31 specific failing tests resolved",
            {"kind": "tests_passing", "expected": 31},
        ),
        ("修复database-adapter跳过测试 (8个测试)", None),  # skipped tests to bring back
        (
            "`pytest src/agent/tests/ --collect-only` shows no errors",
            {"kind": "zero_failures", "selector": "src/agent/tests/", "words": ["collection"]},
        ),
        (  # counts of passing tests going up are a pass rate
            "sign-in.test.tsx: 10/23 → 20/23 (87%)",
            {
                "kind": "pass_rate",
                "selector": "sign-in.test.tsx",
                "threshold": 0.87,
                "comparison": ">=",
            },
        ),
        # Ways of running the tests the run does not record.
        ("Tests pass in parallel (`pytest -n auto`)", None),
        ("Tests pass with random ordering", None),
        ("All tests pass without network access", None),
        ("Test suite passes with `--strict-markers`", None),
        ("Tests pass with pytest-randomly", None),
        ("Tests pass under load", None),
        ("Performance tests show < 200ms p95", None),  # a latency percentile
        ("Test job completes in < 20 min", None),  # a job's time holds more than its tests
        # A time bound that says the tests pass needs both.
        (
            "All tests pass in under 2 minutes",
            {
                "kind": "duration",
                "threshold": 120.0,
                "comparison": "<=",
                "scope": "total",
                "passing": True,
            },
        ),
        (
            "E2E tests complete in < 10 min",
            {"kind": "duration", "threshold": 600.0, "comparison": "<", "scope": "total"},
        ),
        # A name in a code span before "tests" is the class or topic; a kind word says less.
        ("All `UserService` tests pass", {"kind": "tests_passing", "selector": "UserService"}),
        ("`parser` unit tests pass", {"kind": "tests_passing", "selector": "parser/"}),
        (
            "All 4 executePhaseTemplate unit tests pass",
            {"kind": "tests_passing", "selector": "executePhaseTemplate", "expected": 4},
        ),
        (
            "4個のexecutePhaseTemplateユニットテストが全て成功すること",
            {"kind": "tests_passing", "selector": "executePhaseTemplate", "expected": 4},
        ),
        # A Playwright project is the group of its name; a browser project is a platform.
        (
            "`npx playwright test --project=smoke` passes",
            {"kind": "tests_passing", "selector": "smoke/"},
        ),
        ("`npx playwright test --project=chromium` passes", None),
        ("`npx playwright test --project=a --project=b` passes", None),
        # A tier's time is a total; the run's total bounds the tier's from above.
        (
            "Smoke tier runs reasonably fast (aspirational: < 30 seconds)",
            {"kind": "duration", "threshold": 30.0, "comparison": "<", "scope": "total"},
        ),
        # pytest reports a module it cannot collect as a "collection failure".
        ("Tests collect successfully", {"kind": "zero_failures", "words": ["collection"]}),
        ("All tests collect without errors", {"kind": "zero_failures", "words": ["collection"]}),
    ],
)
def test_items_are_read_as_a_maintainer_would(text: str, expected: dict[str, Any] | None) -> None:
    assert _reading(f"- [ ] {text}\n") == expected


def test_a_group_the_plan_tracks_resolves_to_its_folder() -> None:
    body = (
        "Failing: `tests/mission_critical/test_boot.py`, `tests/mission_critical/test_io.py`\n\n"
        "- [ ] Mission-critical suite reaches 100% pass rate\n"
    )
    assert _reading(body) == {
        "kind": "pass_rate",
        "selector": "tests/mission_critical/",
        "threshold": 1.0,
        "comparison": ">=",
    }


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("All security tests passing", "security/"),
        ("Все security tests PASS", "security/"),
        ("All 7 failing scalar type tests now pass", "scalar-type/"),
        ("Groovy test suite maintains 100% pass rate (31/31 tests)", None),  # a language
        ("All JavaScript unit tests pass", None),
        ("Critical tests pass", None),  # which ones?
        ("login e2e tests pass", "login/"),  # `tests/e2e/test_login.py` carries "login"
    ],
)
def test_a_group_nothing_tracked_pins_down_is_a_topic(text: str, selector: str | None) -> None:
    item = plan.parse(f"- [ ] {text}\n").items[0]
    assert (item.metric.selector if item.metric else None) == selector


def test_a_topic_resolves_to_the_tracked_folder_its_last_words_name() -> None:
    body = (
        "Failing: `crates/cli/creation/tests/creation_tests.rs`\n\n"
        "- [ ] File creation tests pass (files actually created)\n"
    )
    assert _reading(body) == {"kind": "tests_passing", "selector": "crates/cli/creation/"}


def test_a_group_named_like_one_tracked_test_file_is_that_file() -> None:
    body = (
        "Failing: `tests/integration/entity-browser.spec.ts`\n\n"
        "- [ ] All 31 entity-browser tests pass\n"
    )
    assert _reading(body) == {
        "kind": "tests_passing",
        "selector": "tests/integration/entity-browser.spec.ts",
        "expected": 31,
    }


def test_a_failure_list_under_a_fix_heading_names_the_file_to_pass() -> None:
    body = (
        "## Checklist (Fix + Verify)\n\n"
        "- [ ] 4. State icons timeout (`tests/e2e/state-icons.spec.ts`)\n"
        "- [ ] R1. Dropdown timeout (`tests/e2e/attribute-display.spec.ts:79`)\n"
        "- [ ] Carousel fails on Safari (`tests/e2e/carousel.spec.ts`)\n"
        "- [ ] Compare `tests/a.spec.ts` with `tests/b.spec.ts`\n"
    )
    selectors = [i.metric.selector if i.metric else None for i in plan.parse(body).items]
    assert selectors == [
        "tests/e2e/state-icons.spec.ts",
        "tests/e2e/attribute-display.spec.ts",
        None,  # tied to a browser the run may not use
        None,  # two files: which one?
    ]


def test_a_test_file_stands_for_the_fixes_inside_it_but_not_for_lint() -> None:
    body = (
        "#### 2. Fix Import Errors (3 hours)\n"
        "- [ ] `backend/tests/middleware_tests.rs`\n"
        "  - [ ] Line 9: Fix `SecurityMiddleware` import path\n"
        "  - [ ] Line 352: Fix type mismatch (`bool` vs `f64`)\n"
        "- [ ] `backend/tests/service_tests.rs`\n"
        "  - [ ] Fix clippy warnings in the file\n"
    )
    items = plan.parse(body).items
    assert [(i.text, i.metric.selector if i.metric else None) for i in items][::3] == [
        ("`backend/tests/middleware_tests.rs`", "backend/tests/middleware_tests.rs"),
        ("`backend/tests/service_tests.rs`", None),  # passing says nothing of clippy
    ]


def test_a_function_under_a_heading_naming_its_file_is_that_file_s() -> None:
    body = "#### Unit tests (`test_foo.py`)\n\n- [ ] `test_bar` passes\n"
    assert _reading(body) == {"kind": "tests_passing", "selector": "test_foo.py::test_bar"}


def test_starting_state_checklists_are_not_goals() -> None:
    body = (
        "## Current state\n\n- [x] 97.5% tests passing (390/400)\n\n"
        "## Goals\n\n- [ ] 100% tests passing\n"
    )
    parsed = plan.parse(body)
    assert parsed.items[0].metric is None
    assert parsed.items[0].manual_reason is not None
    assert "where the work started" in parsed.items[0].manual_reason
    assert parsed.items[1].metric is not None


def test_a_test_file_stands_for_its_sub_items_only_when_a_run_shows_them() -> None:
    body = (
        "### Failing test files\n\n"
        "- [ ] `tests/test_a.py`\n  - [ ] Fix the fixture scope\n"
        "- [ ] `tests/test_b.py`\n  - [ ] Remove unused imports\n"
    )
    parsed = plan.parse(body)
    assert parsed.items[0].metric is not None
    assert parsed.items[0].metric.selector == "tests/test_a.py"
    assert parsed.items[2].metric is None


def _case(name: str, outcome: Outcome, message: str = "", file: str = "t.py") -> CaseResult:
    failed = outcome is Outcome.FAILED
    return CaseResult(
        suite="s",
        classname="c",
        name=name,
        outcome=outcome,
        file=file,
        message=message if failed else None,
        failure_type=message.split(":")[0] if failed else None,
    )


def test_a_type_error_in_the_scope_makes_it_unmet() -> None:
    parsed = plan.parse("- [ ] No TypeError in any circuit breaker test\n")
    run = RunInput(
        cases=[
            _case("test_circuit_breaker_opens", Outcome.FAILED, "TypeError: bad operand"),
            _case("test_other", Outcome.PASSED),
        ]
    )
    assert evaluate(parsed, [run]).items[0].status is Status.UNMET


def test_zero_timeouts_is_met_once_the_tests_that_timed_out_pass_despite_other_failures() -> None:
    parsed = plan.parse("- [ ] Zero timeout failures\n")
    before = RunInput(
        cases=[
            _case("test_fetch", Outcome.FAILED, "TimeoutError: timeout after 30s"),
            _case("test_parse", Outcome.FAILED, "AssertionError: 1 != 2"),
        ]
    )
    after = RunInput(
        cases=[
            _case("test_fetch", Outcome.PASSED),
            _case("test_parse", Outcome.FAILED, "AssertionError: 1 != 2"),
        ]
    )
    assert evaluate(parsed, [after]).items[0].status is Status.UNKNOWN  # no evidence alone
    assert evaluate(parsed, [before, after]).items[0].status is Status.MET


def test_a_checklist_of_test_files_is_each_file_passing_unless_it_asks_for_other_work() -> None:
    body = (
        "### Group 1 (Type Mismatches)\n- [ ] validation_service_tests.rs\n"
        "### Test files to create\n- [ ] new_feature_tests.rs\n"
    )
    items = plan.parse(body).items
    assert items[0].metric is not None
    assert items[0].metric.selector == "validation_service_tests.rs"
    assert items[1].metric is None


def test_a_label_item_reads_on_into_its_next_line() -> None:
    body = (
        "- [ ] Verify:\n  `python3 -m pytest tests/types/test_select.py::test_distinct -v`\n"
        "- [ ] Notes on the fix\n  all tests pass\n"
    )
    items = plan.parse(body).items
    assert items[0].metric is not None
    assert items[0].metric.selector == "tests/types/test_select.py::test_distinct"
    assert items[1].metric is None  # only a label ("Verify:") reads on


def test_a_fix_item_reads_the_test_file_listed_under_it() -> None:
    body = (
        "- [ ] **Fix navigation links test**\n"
        "  - **Issue**: link missing from sidebar\n"
        "  - **File**: `tests/navigation.links.test.ts`\n"
        "- [ ] **Fix auto-assignment logic**\n"
        "  - **File**: `tests/assign.test.ts`\n"
    )
    items = plan.parse(body).items
    assert items[0].metric is not None
    assert items[0].metric.selector == "tests/navigation.links.test.ts"
    assert items[1].metric is None  # a fix of logic, not of a test: its test may pass already


def test_a_plan_titled_current_status_and_next_steps_still_has_goals() -> None:
    body = "# Current status and next steps\n## Next steps\n- [ ] All tests pass\n"
    assert _reading(body) == {"kind": "tests_passing"}


def test_a_group_a_tracked_test_carries_in_order_is_that_topic_not_a_suffix_folder() -> None:
    body = (
        "Failing: `tests/core/deduplication/hook-integration.test.ts`, "
        "`tests/core/hooks/status.test.ts`\n\n"
        "- [ ] Deduplication hook: 2 failures → 0\n"
    )
    assert _reading(body) == {"kind": "tests_passing", "selector": "deduplication-hook/"}
