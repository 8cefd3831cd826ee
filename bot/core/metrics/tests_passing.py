"""The tests-passing metric ("`test_x.py`: 5/5 passing"): reading, rule, judge. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.metrics import fixes, scopes
from bot.core.metrics.base import Metric, MetricKind, RunView, Status, Verdict
from bot.core.metrics.units import count_of_tests
from bot.core.results import CaseResult, Outcome
from bot.errors import RuleError

KIND = MetricKind.TESTS_PASSING
RULE_WORD = "tests"
RULE_ARGUMENTS = "SELECTOR [N[/M]]"  # all tests matching SELECTOR pass, at least N of them

_CODE_SPAN = re.compile(r"`([^`]+)`")
# Pass words in the languages real plans use; code, names and numbers are the same in all.
_PASS_WORDS = re.compile(
    r"\b(?:pass|passes|passing|passed|green|succeed|succeeds|succeeding|"
    r"passa|passam|passar|passando|aprovad[oa]s?|pasa|pasan|pasar|pasando|проход\w*|"
    r"пройден\w*)\b|"
    r"成功|合格|通过|通過|통과",
    re.I,
)
_ALL_WORDS = re.compile(
    r"\b(?:all|every|todos|todas|все|100\s*%)|全て|すべて|全部|所有|全テスト|모든|모두|100\s*%",
    re.I,
)
_WHOLE_RUN = re.compile(
    r"^\W*(?:verify|ensure|confirm|check)?:?\s*(?:that\s+)?(?:all\s+|every\s+|the\s+)?"
    r"(?:total:\s*)?(?:\d[\d,]*\+?(?:\s*/\s*\d[\d,]*)?\s+)?"
    r"(?:existing\s+|remaining\s+|original\s+)?(?:test suite|tests)\s+"
    r"(?:(?:are|is|still|now|continue to|keep)\s+)*"
    r"(?:pass\w*|green|succeed\w*|run successfully)\b"
    # "Tests passing count": a figure to report, not a verdict
    r"(?!\s+(?:count|counts|number|ratio|rate|percentage|report|metrics?|status|summary|trend))",
    re.I,
)
_TEST_WORDS = re.compile(
    r"\btests?\b|(?<![A-Za-z])pytest(?![A-Za-z])|テスト|测试|테스트|\btestes\b|\bpruebas\b|тест",
    re.I,
)
# "Verify: `go test ./pkg/models/... -v`", "Ejecutar `pytest tests/api/ -v` → 33 tests deben
# pasar": an item that only quotes a test command asks for it to pass.
_RUN_WORDS = re.compile(r"^\W*(?:verify|check|confirm|validate|verificar|проверить)\b", re.I)
_LABEL = re.compile(r"^\W*[A-Z][\w /-]{0,30}:\s+(?=\S)")
# Failures named as such: a bare "No errors" may be about logs or builds, and stays manual.
_FAILURE = r"(?:failures?|failing tests?|failed(?: tests?)?)"
_NO_FAILURE = rf"(?:zero|no|0)\s+(?:test\s+)?{_FAILURE}"
_NO_FAILURES = re.compile(
    rf"^\W*(?:{_NO_FAILURE}|(?:zero|no|0)\s+errors?\s*(?:,|and|or|/)\s*(?:0\s+)?{_FAILURE})"
    rf"(?:\s*(?:,|and|or|/)\s*(?:(?:zero|no|0)\s+)?(?:errors?|{_FAILURE}))?"
    r"(?:\s+(?:across|in|on)\s+the\s+(?:whole\s+|entire\s+|full\s+)?(?:test\s+)?(?:suite|run))?"
    r"\W*$",
    re.I,
)
# "test_api.py: 12/12": a file's counter, all of its tests passing.
_FILE_COUNTER = re.compile(
    r"^\W*`?([\w./-]+\.\w+)`?\s*(?::|-|—|–)\s*(\d+)\s*/\s*(\2)"
    r"(?:\s+(?:tests?\s+)?(?:passing|passed|pass))?\W*$"
)
_SCOPE_THEN_ZERO = re.compile(
    rf"^\W*(`[^`]+`|[\w.-]+/[\w./-]*|[\w./-]+\.\w+)\s*:\s*"
    rf"(?:{_NO_FAILURE}|0\s*(?:个|個|개)?\s*(?:失败|失敗|실패))\W*$",
    re.I,
)
# "Failing tests: 23 → 0", "Failing tests reduced from 23 to 0".
_FAILING_TO_ZERO = re.compile(
    r"^\W*(?:failing|failed) tests?\W*(?::\s*|\s+(?:reduced|down|go(?:ne)?)\s+(?:from\s+)?)"
    r"\d+\s*(?:→|->|=>|to)\s*0\W*$",
    re.I,
)
_COUNTER = re.compile(
    r"^\W*(?:([A-Za-z][\w-]*(?: [A-Za-z][\w-]*){0,2}) )?tests?\W*:\s*(\d+)\s*/\s*(\d+)"
    r"(?:\s+(?:passing|passed|pass))?\s*(?:tests?)?\W*$",
    re.I,
)
_ZERO_IN_SCOPE = re.compile(
    r"^\W*(?:zero|no|0)\s+(?:test\s+)?(?:failures?|failing tests?)\s+(?:in|for|among|of)\s+(.+)$",
    re.I,
)
_FAIL_WORDS = re.compile(r"\b(?:fail\w*|error\w*|broken|crash\w*)\b", re.I)
_VERDICT = (
    rf"(?:{_PASS_WORDS.pattern}|✅|\bfixed\b|\bresolved\b|\bsuccessfully\b|\bno longer fail\w*)"
)
_COMMAND_VERDICT = (
    rf"(?:{_PASS_WORDS.pattern}|\bsuccessfully\b|"
    r"\bexits? (?:with )?(?:code |status )?0\b|\bexit (?:code|status) (?:is )?0\b|\breturns 0\b)"
)
_VERDICT_AFTER = (
    r"`?\s*(?:(?:package|module|crate|folder|directory)s?\s+)?"
    rf"(?::|\(|→|->|=>|-|—|–)?\s*(?:{scopes.KIND_WORD}\s+)?(?:tests?\s+)?"
    r"(?:テスト|测试|테스트)?(?:が|は|를|이|가)?\s*(?:全て|すべて)?"
)
_NAMED_THEN_VERDICT = re.compile(r"^\W*`[^`]+`\s+((?:[\w-]+\s+){1,3})" + _VERDICT + r"\W*$", re.I)
_EVERY_ONE_OF = re.compile(r"\b(\d[\d,]*)\s*/\s*(\1)\b")
_RULE = re.compile(r"(\S+)(?:\s+(\d+)(?:/(\d+))?)?(?:\s+pass(?:ing)?)?")


def recognise(text: str) -> Metric | None:
    """The metric of an item that names tests and says they pass, else None."""
    command = scopes.runner_command(text)
    if command is not None:
        return _command(text, command)
    scoped_zero = _ZERO_IN_SCOPE.match(text)
    if scoped_zero is not None:  # "Zero failures in `tests/api/`": those tests all pass
        selector = scopes.scope_of(scoped_zero.group(1))
        return (
            Metric(KIND, selector=selector) if selector and not scopes.is_group(selector) else None
        )
    scoped = _SCOPE_THEN_ZERO.match(text)
    if scoped is not None:  # "`tests/unit`: 0 failures": those tests all pass
        selector = scopes.scope_of(scoped.group(1))
        if selector and not scopes.is_group(selector):
            return Metric(KIND, selector=selector)
    counted = _FILE_COUNTER.match(text)
    if counted is not None and scopes.is_test_path(counted.group(1)):
        return Metric(KIND, selector=counted.group(1), expected=int(counted.group(2)))
    if _NO_FAILURES.match(text) or _FAILING_TO_ZERO.match(text):
        return Metric(KIND)  # "Zero failures", "0 failed, 0 errors": the whole run passes
    return fixes.named_fix(text) or _counter(text) or _said_to_pass(text) or _every_one_of(text)


def _every_one_of(text: str) -> Metric | None:
    """ "1,145/1,145 passing (100%)", "100% pass rate (48/48 tests)": a count, every one of
    them passing, read here before the pass-rate kind reads the 100% as a rate."""
    every = _EVERY_ONE_OF.search(text)
    percents = [float(p) for p in re.findall(r"(\d+(?:\.\d+)?)\s*%", text)]
    if every is None or 100 not in percents or not _PASS_WORDS.search(text):
        return None
    if any(p != 100 for p in percents):
        return None
    count = int(every.group(1).replace(",", ""))
    return Metric(KIND, selector=scopes.scope_of(text), expected=count)


def _counter(text: str) -> Metric | None:
    """ "Controller tests: 0/35" counts progress toward all 35 passing (a topic, or the run)."""
    found = _COUNTER.match(text)
    if found is None or int(found.group(3)) == 0:
        return None
    selector = scopes.scope_of(f"{found.group(1)} tests") if found.group(1) else None
    return Metric(KIND, selector=selector, expected=int(found.group(3)))


def _named_then_verdict(text: str) -> bool:
    """ "`test_auth_refresh` un-skipped and passing", unless the words between are work its
    passing does not show ("`test_x` refactored and passing")."""
    found = _NAMED_THEN_VERDICT.match(text)
    return found is not None and not fixes.NOT_SHOWN_BY_PASSING.search(found.group(1))


def _said_to_pass(text: str) -> Metric | None:
    """ "All 31 entity-browser tests pass", "`internal/crypto` - 100% PASS ✅"."""
    if re.search(r"\bpass(?:ing)?[- ]rate\b", text, re.I):
        return None  # "100% pass rate" is the pass-rate kind's
    passing = _PASS_WORDS.search(text) or re.search(
        r"\bruns? successfully\b|\bno longer fail|^\W*`[^`]+`\s*✅\W*$", text, re.I
    )
    if not passing or any(
        float(m.group(1)) != 100 for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text)
    ):
        return None  # a share below 100% is a pass rate
    selector = scopes.scope_of(text)
    if selector is None:
        return _whole_run(text)
    expected = count_of_tests(_CODE_SPAN.sub(" ", text))
    if expected is not None:
        return Metric(KIND, selector=selector, expected=expected)
    last = selector.rstrip("/").rsplit("/", 1)[-1].rsplit("::", 1)[-1]
    named = r"[\s_-]+".join(map(re.escape, last.split("-")))  # `file-creation/`: "file creation"
    labelled = named + r"[\s_-]+tests?\s*:[^:]*" + _VERDICT  # "Integration Tests: ... passing"
    if (
        _ALL_WORDS.search(text)
        or re.search(named + _VERDICT_AFTER + _VERDICT, text, re.I)
        or re.match(r"\W*" + labelled, text, re.I)
        # "`test_auth_refresh` un-skipped and passing": the named test, then its verdict
        or _named_then_verdict(text)
    ):
        return Metric(KIND, selector=selector)
    return None


def _command(text: str, command: scopes.Command) -> Metric | None:
    """A quoted test command: it must pass, when the item runs it or says it passes."""
    if command.ambiguous:
        return None  # several paths or a filter: which tests is not for the bot to guess
    outside = _CODE_SPAN.sub(" ", text)
    if not (_RUN_WORDS.match(text) or re.search(_COMMAND_VERDICT, outside, re.I)):
        return None
    if _FAIL_WORDS.search(outside) and not re.search(r"\b0 fail", outside, re.I):
        return None
    return Metric(KIND, selector=command.selector, expected=count_of_tests(outside))


def _whole_run(text: str) -> Metric | None:
    """ "All 643 tests still passing", "Verify tests still pass", "既存のpytestが全て通過する"."""
    text = _LABEL.sub("", text)  # "**CI Integration**: Tests run successfully"
    other_language = re.search(r"[^\x00-\u024f\W]", text) is not None
    match = _WHOLE_RUN.search(text) or (
        # English has `_WHOLE_RUN`'s grammar; other languages the small vocabulary.
        other_language
        and _ALL_WORDS.search(text)
        and _TEST_WORDS.search(text)
        and _PASS_WORDS.search(text)
    )
    return Metric(KIND, expected=count_of_tests(text)) if match else None


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
    parts = metric.selector.split(",") if metric.selector else []
    missing = next((p for p in parts if p and not run.index.select(p)), None)
    if not chosen or missing is not None:  # `a.py,b.py`: each one must have run
        return Verdict(
            Status.UNKNOWN, f"no tests matching `{missing or metric.selector}` in this run"
        )
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
