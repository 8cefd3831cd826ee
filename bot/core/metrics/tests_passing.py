"""The tests-passing metric ("`test_x.py`: 5/5 passing"): reading, rule, judge. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics import scopes
from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.results import CaseResult, Outcome
from bot.errors import RuleError

KIND = MetricKind.TESTS_PASSING
RULE_WORD = "tests"
RULE_ARGUMENTS = "SELECTOR [N[/M]]"  # all tests matching SELECTOR pass, at least N of them

_FRACTION = re.compile(r"\b(\d+)\s*(?:/|of)\s*(\d+)\b")
_CODE_SPAN = re.compile(r"`([^`]+)`")
# Pass words in the languages real plans use; code, names and numbers are the same in all.
_PASS_WORDS = re.compile(
    r"\b(?:pass|passes|passing|passed|green|succeed|succeeds|succeeding|"
    r"passa|passam|passando|aprovad[oa]s?|pasa|pasan|pasando|проход\w*|пройден\w*)\b|"
    r"成功|合格|通过|通過|통과",
    re.I,
)
_ALL_WORDS = re.compile(
    r"\b(?:all|every|todos|todas|все|100\s*%)|全て|すべて|全部|所有|全部通过|모든|모두|100\s*%",
    re.I,
)
_WHOLE_RUN = re.compile(
    r"^\W*(?:verify|ensure|confirm|check)?:?\s*(?:that\s+)?(?:all\s+|every\s+|the\s+)?"
    r"(?:\d[\d,]*\s+)?(?:existing\s+|remaining\s+|original\s+)?(?:test suite|tests)\s+"
    r"(?:(?:are|is|still|now|continue to|keep)\s+)*"
    r"(?:pass\w*|green|succeed\w*|run successfully)\b",
    re.I,
)
_TEST_WORDS = re.compile(
    r"\btests?\b|\bpytest\b|テスト|测试|테스트|\btestes\b|\bpruebas\b|тест", re.I
)
_VERIFY_COMMAND = re.compile(
    r"^\W*(?:verify|run|check|confirm|validate)\b\s*:?\s*`\s*(?:go test|pytest|python -m pytest|"
    r"npm (?:run )?test|yarn test|pnpm test|npx (?:jest|vitest)|jest|vitest|mvn test|"
    r"\./gradlew test|gradle test|cargo test|dotnet test|phpunit|vendor/bin/phpunit)\b"
    r"[^`]*`\s*\W*$",
    re.I,
)
_VERDICT = rf"(?:{_PASS_WORDS.pattern}|✅|\bfixed\b|\bresolved\b)"
_FIXED_TEST = re.compile(
    r"^\W*`((?:[\w./-]+::)?test_\w+|[\w./-]+_test\.(?:py|go)|[\w./-]+\.(?:spec|test)\.[jt]sx?|"
    r"\w+Tests?)`\s*(?::|-|—|–|→)\s*(?:✅\s*)?(?:fixed|resolved|passing|passes|pass)\b",
    re.I,
)
_VERDICT_AFTER = r"`?\s*(?::|\(|→|->|=>|-|—|–)?\s*(?:tests?\s+)?"
_RULE = re.compile(r"(\S+)(?:\s+(\d+)(?:/(\d+))?)?(?:\s+pass(?:ing)?)?")


def recognise(text: str) -> Metric | None:
    """The metric of an item that names tests and says they pass, else None."""
    command = _VERIFY_COMMAND.match(text)
    if command is not None:  # "Verify: `go test ./pkg/models/... -v`": that it passes
        return Metric(KIND, selector=scopes.scope_of(text))
    fixed = _FIXED_TEST.match(text)
    if fixed is not None:  # "`test_x` - ✅ FIXED: ...", a checklist of failing tests
        return Metric(KIND, selector=fixed.group(1))
    if not _PASS_WORDS.search(text) or any(
        float(m.group(1)) != 100 for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text)
    ):
        return None  # a share below 100% is a pass rate
    selector = scopes.scope_of(text)
    if selector is None:
        return _whole_run(text)
    fraction = _FRACTION.search(_CODE_SPAN.sub(" ", text))
    if fraction:
        passing, total = int(fraction.group(1)), int(fraction.group(2))
        return Metric(KIND, selector=selector, expected=max(passing, total))
    named = re.escape(selector.rstrip("/").rsplit("/", 1)[-1].rsplit("::", 1)[-1])
    if _ALL_WORDS.search(text) or re.search(named + _VERDICT_AFTER + _VERDICT, text, re.I):
        return Metric(KIND, selector=selector)
    return None


def _whole_run(text: str) -> Metric | None:
    """ "All 643 tests still passing", "Verify tests still pass", "既存のpytestが全て通過する"."""
    match = _WHOLE_RUN.search(text) or (
        _ALL_WORDS.search(text) and _TEST_WORDS.search(text) and _PASS_WORDS.search(text)
    )
    if not match:
        return None
    fraction = _FRACTION.search(text)
    count = re.search(r"\b(\d[\d,]*)\s+(?:\w+\s+)?tests?\b", text)
    expected = (
        max(int(fraction.group(1)), int(fraction.group(2)))
        if fraction
        else int(count.group(1).replace(",", ""))
        if count
        else None
    )
    return Metric(KIND, expected=expected)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `tests` rule from the words after `tests`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None:
        raise RuleError(f"tests rule {arguments!r}: expected `tests SELECTOR [N[/M]]`")
    expected = int(match.group(2)) if match.group(2) else None
    return Metric(KIND, selector=match.group(1), expected=expected, source="rule")


def judge(metric: Metric, run: RunView) -> Verdict:
    """MET if every selected test passes, as many as expected; UNKNOWN if none or a flaky pass.

    Without a selector it is the whole run: nothing fails and enough tests passed (skips
    are neither).
    """
    chosen = run.index.select(metric.selector) if metric.selector else run.cases
    if not chosen:
        return Verdict(Status.UNKNOWN, f"no tests matching `{metric.selector}` in this run")
    passed = sum(c.outcome is Outcome.PASSED for c in chosen)
    counted = len(chosen) if metric.selector else len(chosen) - _skipped(chosen)
    wanted = metric.expected or counted
    evidence = f"{passed}/{counted} passing"
    if metric.expected and counted < metric.expected:
        evidence += f" ({metric.expected} expected)"
    met = passed == counted and passed >= wanted and passed > 0
    shaky = [c.name for c in chosen if c.test_id in run.flaky and c.outcome is Outcome.PASSED]
    if met and shaky:
        # A flaky pass alone never ticks a box.
        return Verdict(Status.UNKNOWN, f"{evidence}, but {_names(shaky)} flaky")
    return Verdict.met_if(met, evidence)


def _skipped(cases: Sequence[CaseResult]) -> int:
    return sum(c.outcome is Outcome.SKIPPED for c in cases)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    verb = "is" if len(names) == 1 else "are"
    return f"{shown}{more} {verb}"
