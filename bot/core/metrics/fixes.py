"""Items that name tests to fix, with what was wrong: done when the tests pass. Pure: no I/O.

"Fix `test_zip_corrupted` (FK precondition)", "`test_x` - ✅ FIXED", "Unit Tests Fixed",
"Status line hook: 1 failure → 0", "修复file-manager.test.js (61个测试)": each is the
tests-passing kind over the tests it names. A note that asks for other work ("add tests",
"fix the lint") keeps the item manual, since a test passing does not show that work.
"""

from __future__ import annotations

import re

from bot.core.metrics import scopes
from bot.core.metrics.base import Metric, MetricKind
from bot.core.metrics.units import count_of_tests

KIND = MetricKind.TESTS_PASSING

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
_FIX_IN = re.compile(
    r"^\W*fix\s+(?:the\s+|all\s+)?(?:(\d+)\s+)?(?:remaining\s+)?(?:failing|broken|failed)\s+"
    r"tests?\s+in\s+(`[^`]+`|[\w./-]+)\W*$",
    re.I,
)
_LISTED_VERDICT = re.compile(r"^\W*(?:fixed|resolved|passing|passes|pass|green)\b", re.I)
_SOURCE_FILE = re.compile(r"\.[a-z]{1,4}$")
# Work on a test that its passing does not show: its lint, docs, style or coverage.
NOT_SHOWN_BY_PASSING = re.compile(
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
    if fix is None or NOT_SHOWN_BY_PASSING.search(text[fix.end("name") :]):
        return None
    if not files and _SOURCE_FILE.search(fix.group("name")):
        return None
    return Metric(KIND, selector=as_selector(fix.group("name")))


def listed_as_fixed(text: str) -> Metric | None:
    """ "`test_x` - ✅ FIXED: ...", "`test_y`: passing": a listed test with its verdict."""
    listed = _FIXED_OR_LISTED.match(text)
    if listed is None or not _LISTED_VERDICT.match(listed.group(2) or ""):
        return None
    return Metric(KIND, selector=listed.group(1))


def as_selector(name: str) -> str:
    """`TestPaymentService.test_refund` -> `TestPaymentService::test_refund`; others as named."""
    method = _CLASS_METHOD.fullmatch(name)
    return f"{method.group(1)}::{method.group(2)}" if method else name


def named_fix(text: str) -> Metric | None:
    """A test named to fix, listed with its state, or a group to run and fix: done when it
    passes."""
    fixed = named_to_fix(text)
    if fixed is not None:  # "Fix `test_zip_corrupted` (collection FK precondition)"
        return fixed
    listed = _FIXED_OR_LISTED.match(text)
    if listed is not None and not _NEW_WORK.match(listed.group(2) or ""):
        # "`test_x` - ✅ FIXED: ...", "`basic.test.js` - 기본 프로젝트 구조": a list of tests
        return Metric(
            KIND, selector=listed.group(1), expected=count_of_tests(listed.group(2) or "")
        )
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
    return Metric(KIND, selector=selector, expected=count_of_tests(f"{group} tests"))


def _class_noted(text: str) -> Metric | None:
    found = _CLASS_NOTED.match(text)
    if found is None:
        return None
    note = found.group("note")
    if _NEW_WORK.match(note) or NOT_SHOWN_BY_PASSING.search(note):
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
