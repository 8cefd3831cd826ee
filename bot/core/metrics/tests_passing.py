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
# A test an item lists by name in a code span: a function, a test file, a test class.
_LISTED_NAME = (
    r"(?:[\w./-]+::)?test_\w+|[\w./-]+_test\.(?:py|go)|[\w./-]+\.(?:spec|test)\.[jt]sx?|"
    r"(?:[\w.]*\.)?(?:Test\w+|\w+Tests?)\.\w+|[\w./-]*\w+Tests?|"
    r"[a-z_]\w*(?:::\w+){2,}"  # a Rust test's path: `auth::tests::test_login`
)
# `TestPaymentService.test_refund`, `com.acme.UserTest.testLogin`: a method of a test class.
_CLASS_METHOD = re.compile(r"((?:[\w.]*\.)?(?:Test\w+|\w+Tests?))\.(\w+)")
_FIXED_OR_LISTED = re.compile(rf"^\W*`({_LISTED_NAME})`\s*(?::|-|—|–|→)\s*(\S.*)$", re.I)
# A listed test whose note asks for new work is not done when the test passes.
_NEW_WORK = re.compile(
    r"^\W*(?:add|write|create|implement|extend|refactor|rename|move|delete|remove|split|"
    r"document|update|migrate|convert|port)\b",
    re.I,
)
_LABEL = re.compile(r"^\W*[A-Z][\w /-]{0,30}:\s+(?=\S)")
# "Fix `test_zip_corrupted` (FK precondition)", "[MOCK-001] Fix test_dispatch mock setup".
_FIX_NAMED = re.compile(
    rf"^(?:#+\s*)?(?:\[[\w-]+\]\s*)?(?:\w+ \d+(?:\.\d+)*\s*[—–:-]\s*)?\W*fix:?\s+"
    rf"`?(?P<name>(?<=`)(?:{_LISTED_NAME})(?=`)|(?<!`)(?:[\w./-]+::)?test_\w+(?!`))`?\s*"
    r"(?:(?!(?:to|by|so|using|with|and|for)\b)[A-Za-z][\w -]{0,60}|\([^()`]*\))?\s*$",
    re.I,
)
_RUN_AND_FIX = re.compile(
    r"^\W*run\s+(?:the\s+|all\s+)?(?:[a-z][\w-]*\s+){0,3}?tests?\s+and\s+fix\s+"
    r"(?:any\s+|all\s+|the\s+)?(?:issues|failures|errors|problems)\W*$",
    re.I,
)
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
_FIX_IN = re.compile(
    r"^\W*fix\s+(?:the\s+|all\s+)?(?:(\d+)\s+)?(?:remaining\s+)?(?:failing|broken|failed)\s+"
    r"tests?\s+in\s+(`[^`]+`|[\w./-]+)\W*$",
    re.I,
)
_COUNTER = re.compile(
    r"^\W*(?:([A-Za-z][\w-]*(?: [A-Za-z][\w-]*){0,2}) )?tests?\W*:\s*(\d+)\s*/\s*(\d+)"
    r"(?:\s+(?:passing|passed|pass))?\s*(?:tests?)?\W*$",
    re.I,
)
_LISTED_VERDICT = re.compile(r"^\W*(?:fixed|resolved|passing|passes|pass|green)\b", re.I)
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
    r"(?::|\(|→|->|=>|-|—|–)?\s*(?:(?:unit|integration|e2e|functional|component)\s+)?(?:tests?\s+)?"
    r"(?:テスト|测试|테스트)?(?:が|は|를|이|가)?\s*(?:全て|すべて)?"
)
# "All 643 tests", "33 tests", "15個の…テスト"; not "Tier 1 tests" or "Phase 2 tests".
_COUNT = re.compile(
    r"(?<!tier )(?<!phase )(?<!stage )(?<!step )(?<!part )(?<!level )(?<!group )(?<!task )"
    r"\b(\d[\d,]*)\+?\s+(?:[a-z][\w-]*\s+){0,3}tests?\b|(\d+)\s*(?:個|个|개|件)|(\d+)\s*(?:テスト|测试|테스트)",
    re.I,
)
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
    return _named_fix(text) or _counter(text) or _said_to_pass(text)


def _as_selector(name: str) -> str:
    """`TestPaymentService.test_refund` -> `TestPaymentService::test_refund`; others as named."""
    method = _CLASS_METHOD.fullmatch(name)
    return f"{method.group(1)}::{method.group(2)}" if method else name


def _counter(text: str) -> Metric | None:
    """ "Controller tests: 0/35" counts progress toward all 35 passing (a topic, or the run)."""
    found = _COUNTER.match(text)
    if found is None or int(found.group(3)) == 0:
        return None
    selector = scopes.scope_of(f"{found.group(1)} tests") if found.group(1) else None
    return Metric(KIND, selector=selector, expected=int(found.group(3)))


def _named_fix(text: str) -> Metric | None:
    """A test named to fix, listed with its state, or a group to run and fix: done when it
    passes."""
    fixed = named_to_fix(text)
    if fixed is not None:  # "Fix `test_zip_corrupted` (collection FK precondition)"
        return fixed
    listed = _FIXED_OR_LISTED.match(text)
    if listed is not None and not _NEW_WORK.match(listed.group(2) or ""):
        # "`test_x` - ✅ FIXED: ...", "`basic.test.js` - 기본 프로젝트 구조": a list of tests
        return Metric(KIND, selector=listed.group(1), expected=_expected(listed.group(2) or ""))
    if _RUN_AND_FIX.match(text):  # "Run unit tests and fix issues"
        return Metric(KIND, selector=scopes.scope_of(text))
    fix_in = _FIX_IN.match(text)
    if fix_in is not None:  # "Fix the 3 failing tests in test_parser.py": that file passes
        selector = scopes.scope_of(fix_in.group(2))
        if selector and not scopes.is_group(selector):
            count = int(fix_in.group(1)) if fix_in.group(1) else None
            return Metric(KIND, selector=selector, expected=count)
    return _group_fixed(text) or _class_noted(text) or _foreign_fix(text)


# "Unit Tests Fixed", "Status line hook: 1 failure → 0": a result. ("Fix API contract
# tests" is an activity: maintainers keep it manual.)
_GROUP_FIXED = re.compile(
    r"^\W*(?:all\s+)?(?:the\s+)?(?P<group>(?:[\w-]+\s+){0,3}?)tests?\s+(?:are\s+|now\s+)?"
    r"(?:fixed|resolved|repaired)\W*$|"
    r"^\W*(?P<counted>[A-Za-z][\w .-]{0,40}?)\s*:\s*\d+\s+(?:failures?|failing(?:\s+tests?)?|"
    r"failed(?:\s+tests?)?)\s*(?:→|->|=>|to)\s*0\W*$",
    re.I,
)
# "ModelImageHelpersTest - Image blank detection logic": a test class and what was wrong.
_CLASS_NOTED = re.compile(
    r"^\W*(?P<name>(?:[a-z]\w*\.)*[A-Z]\w*(?:Tests?|IT|Spec))\s*(?:-|—|–|:)\s+(?P<note>\S.*)$"
)
# "修复file-manager.test.js (61个测试)", "验证x.test.js ✅", "CreatePageDialog テストの修正".
_FOREIGN_FIX_WORDS = r"修复|修正|修改|验证|確認|检验|수정|검증"
_FOREIGN_FIX = re.compile(
    rf"^\W*(?:{_FOREIGN_FIX_WORDS})\s*(?P<file>[\w./-]+\.\w+)\s*"
    r"(?:\(\s*(?P<count>\d+)\s*(?:个|個|개)?\s*(?:测试|テスト|테스트|tests?)\s*\))?\W*$|"
    rf"^\W*(?P<name>[A-Z][A-Za-z0-9]+)\s*(?:テスト|测试|테스트)\s*の?\s*(?:{_FOREIGN_FIX_WORDS})\W*$|"
    rf"^\W*(?:{_FOREIGN_FIX_WORDS})\s*(?P<group>[A-Za-z][\w -]*?)\s*(?:模块|模組|module)?\s*"
    r"(?:失败|失敗|测试|テスト)",
)


def _group_fixed(text: str) -> Metric | None:
    found = _GROUP_FIXED.match(text)
    if found is None:
        return None
    group = next(g for g in found.groups() if g is not None).strip()
    if re.search(r"(?<![A-Za-z])\d+\b", group) and not re.match(r"\W*all\b", text, re.I):
        return None  # "~3 tests fixed": progress made, not the tests all passing
    selector = scopes.scope_of(group if re.search(r"\btests?$", group, re.I) else f"{group} tests")
    if selector is None and not scopes.names_the_whole_run(group):
        return None  # words that name no tests the run can pick out
    return Metric(KIND, selector=selector, expected=_expected(f"{group} tests"))


def _class_noted(text: str) -> Metric | None:
    found = _CLASS_NOTED.match(text)
    if found is None:
        return None
    note = found.group("note")
    if _NEW_WORK.match(note) or _NOT_SHOWN_BY_PASSING.search(note):
        return None
    return Metric(KIND, selector=found.group("name"))


def _foreign_fix(text: str) -> Metric | None:
    found = _FOREIGN_FIX.match(text)
    if found is None:
        return None
    if found.group("file"):
        if not scopes.is_test_path(found.group("file")):
            return None
        count = found.group("count")
        return Metric(KIND, selector=found.group("file"), expected=int(count) if count else None)
    if found.group("name"):
        name = found.group("name")
        return Metric(KIND, selector=name if not name.isupper() else name.lower() + "/")
    group = found.group("group").strip()
    if re.search(r"跳过|スキップ|건너|skip", group, re.I):
        return None  # skipped tests to bring back: their passing is new work
    return Metric(KIND, selector=scopes.scope_of(f"{group} tests"))


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
    expected = _expected(_CODE_SPAN.sub(" ", text))
    if expected is not None:
        return Metric(KIND, selector=selector, expected=expected)
    last = selector.rstrip("/").rsplit("/", 1)[-1].rsplit("::", 1)[-1]
    named = r"[\s_-]+".join(map(re.escape, last.split("-")))  # `file-creation/`: "file creation"
    labelled = named + r"[\s_-]+tests?\s*:[^:]*" + _VERDICT  # "Integration Tests: ... passing"
    if (
        _ALL_WORDS.search(text)
        or re.search(named + _VERDICT_AFTER + _VERDICT, text, re.I)
        or re.match(r"\W*" + labelled, text, re.I)
    ):
        return Metric(KIND, selector=selector)
    return None


_SOURCE_FILE = re.compile(r"\.[a-z]{1,4}$")
# Work on a test that its passing does not show: its lint, docs, style or coverage.
_NOT_SHOWN_BY_PASSING = re.compile(
    r"\b(?:lint\w*|warnings?|deprecat\w*|coverage|logs?|docs?|documentation|docstrings?|"
    r"comments?|type hints?|annotations?|format\w*|style|naming|rename\w*|mov\w*|"
    r"refactor\w*|speed|faster|slow\w*|performance|flak\w*|platform|windows|macos|linux)\b",
    re.I,
)


def named_to_fix(text: str, *, files: bool = True) -> Metric | None:
    """ "Fix `test_zip_corrupted` (FK precondition)", "[PATH-001] Fix test_x path reference":
    one test named to fix, with what was wrong with it; done when it passes. Without
    `files`, a test file named to fix is left to the other readings (its imports or lint
    may be the work)."""
    fix = _FIX_NAMED.match(text)
    if fix is None or _NOT_SHOWN_BY_PASSING.search(text[fix.end("name") :]):
        return None
    if not files and _SOURCE_FILE.search(fix.group("name")):
        return None
    return Metric(KIND, selector=_as_selector(fix.group("name")))


def listed_as_fixed(text: str) -> Metric | None:
    """ "`test_x` - ✅ FIXED: ...", "`test_y`: passing": a listed test with its verdict."""
    listed = _FIXED_OR_LISTED.match(text)
    if listed is None or not _LISTED_VERDICT.match(listed.group(2) or ""):
        return None
    return Metric(KIND, selector=listed.group(1))


def _command(text: str, command: scopes.Command) -> Metric | None:
    """A quoted test command: it must pass, when the item runs it or says it passes."""
    if command.ambiguous:
        return None  # several paths or a filter: which tests is not for the bot to guess
    outside = _CODE_SPAN.sub(" ", text)
    if not (_RUN_WORDS.match(text) or re.search(_COMMAND_VERDICT, outside, re.I)):
        return None
    if _FAIL_WORDS.search(outside) and not re.search(r"\b0 fail", outside, re.I):
        return None
    return Metric(KIND, selector=command.selector, expected=_expected(outside))


def _expected(text: str) -> int | None:
    """The count an item expects: "152/152", "33 tests", or none."""
    fraction = _FRACTION.search(text)
    if fraction:
        return max(int(fraction.group(1)), int(fraction.group(2)))
    count = _COUNT.search(text)
    if count is None:
        return None
    return int(next(g for g in count.groups() if g).replace(",", ""))


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
    return Metric(KIND, expected=_expected(text)) if match else None


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
