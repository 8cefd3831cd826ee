"""Test names across runners: spotting them in prose, and matching selectors to test cases.

Pure module: no I/O. A selector is what an issue names: a file (`test_x.py`,
`tests/a/test_b.py`, `login.spec.ts`), a directory (`tests/integration/`), a class
(`OrderServiceTest`, `com.acme.FooTest`), a suite, or a test id (`tests/a/test_b.py::test_c`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.core.results import CaseResult, case_owner

TEST_NAME = re.compile(
    r"(?:[\w./-]*\btest_\w+\.py(?:::[\w\[\]-]+)*"
    r"|[\w./-]*\b\w+_test\.(?:py|go|exs|rb)(?:::[\w\[\]-]+)*"
    r"|[\w./-]*\b\w+_spec\.rb"
    r"|[\w./-]*\b[\w-]+\.(?:spec|test)\.[cm]?[jt]sx?"
    r"|[\w./-]*\b\w+_tests?\.rs\b"
    r"|\b(?:[a-z]\w*\.)*[A-Z]\w*(?:Tests?|IT|Spec)\b)"
)
_PYTHON_SUFFIXES = (".py",)
# Group names that are folders by convention ("unit tests" are the tests under `unit/`).
# Any other one-word group ("security tests") is a topic: its folder, or the test files and
# classes named after it (`security_test.go`, `test_security_headers.py`, `SecurityTest`).
CONVENTIONAL_GROUPS = frozenset(
    "unit integration e2e functional acceptance smoke regression contract component "
    "system api ui".split()
)
_WORD_BREAK = re.compile(r"[-_.\s]+|(?<=[a-z0-9])(?=[A-Z])")
_TEST_WORDS = frozenset({"test", "tests", "spec", "specs", "it"})
_SOURCE_SUFFIX = re.compile(r"\.(?:py|go|[jt]sx?|java|kt|rb|cs|php|rs)$")


# `__bold__`, but not `__tests__/` or `__init__.py`: a name's underscores are kept.
_UNDERSCORE_BOLD = re.compile(r"(?<![\w/.])__(?=\S)(.+?)(?<=\S)__(?![\w/]|\.\w)")


def without_emphasis(text: str) -> str:
    """Text without bold markers (`**`, `__`), keeping the underscores of names."""
    return _UNDERSCORE_BOLD.sub(r"\1", text.replace("**", ""))


def is_test_name(text: str) -> bool:
    """Whether a whole string names a test file, class or id."""
    return bool(text) and TEST_NAME.fullmatch(text.strip()) is not None


@lru_cache(maxsize=4096)
def _selector_parts(selector: str) -> tuple[str, str | None]:
    path, _, test = selector.strip().partition("::")
    return path.strip("/") if path.endswith("/") else path, (test or None)


def _module_path(classname: str) -> str:
    """`tests.integration.test_x.TestY` -> `tests/integration/test_x` (for Python classnames)."""
    parts = classname.split(".")
    for position in range(len(parts) - 1, -1, -1):
        if parts[position].startswith("test_") or parts[position].endswith("_test"):
            return "/".join(parts[: position + 1])
    return "/".join(parts)


def _path_endswith(path: str, suffix: str) -> bool:
    path = path.replace("\\", "/").lstrip("./")
    suffix = suffix.replace("\\", "/").lstrip("./")
    return path == suffix or path.endswith("/" + suffix)


def _file_matches(case: CaseResult, file_selector: str) -> bool:
    if case.file and _path_endswith(case.file, file_selector):
        return True
    stem = _SOURCE_SUFFIX.sub("", file_selector)
    if case.classname and _path_endswith(_module_path(case.classname), stem):
        return True
    # jest-junit and others put the file path in the suite name.
    return bool(case.suite) and (
        _path_endswith(case.suite, file_selector) or case.suite == file_selector
    )


def _directory_matches(case: CaseResult, directory: str) -> bool:
    prefix = directory.strip("/").replace("\\", "/")
    if case.file and ("/" + case.file.lstrip("./")).find("/" + prefix + "/") != -1:
        return True
    if not case.classname:
        return False
    if "/" in case.classname:  # a Go package: `github.com/org/repo/internal/crypto`
        return ("/" + case.classname + "/").find("/" + prefix + "/") != -1
    dotted = prefix.replace("/", ".")
    return (case.classname + ".").startswith(dotted + ".")


def is_topic(selector: str) -> bool:
    """Whether a selector is a topic (`security/`, `scalar-type/`): one segment, and not a
    folder by convention (`unit/`)."""
    name = selector.strip()
    return name.endswith("/") and "/" not in name[:-1] and name[:-1] not in CONVENTIONAL_GROUPS


def topic_words(name: str) -> list[str]:
    """A name's words, lower-cased and singular, without "test": `test_scalar_types` ->
    `scalar type`, `SecurityTest` -> `security`."""
    words = (w.lower() for w in _WORD_BREAK.split(name) if w)
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in _TEST_WORDS]


def _topic_matches(case: CaseResult, topic: str) -> bool:
    """Whether a test's path (folders and file), its class or its name carries the topic's
    words in order ("template loading tests": `test_template_loading`; "E2E login tests":
    `tests/e2e/login.spec.ts`)."""
    wanted = topic_words(topic)
    path = (case.file or ("" if case.classname else case.suite)).replace("\\", "/")
    stem_path = "/".join([*path.split("/")[:-1], _basename(path).split(".", 1)[0]])
    for owner in (stem_path, case.name, case.classname or ""):
        words = [w for part in re.split(r"[/.$]", owner) for w in topic_words(part)]
        if any(words[i : i + len(wanted)] == wanted for i in range(len(words))):
            return True
    return False


def _class_matches(case: CaseResult, name: str) -> bool:
    # The suite stands in for the class only when the case has none: Surefire names the
    # file-level suite after one class while its cases may belong to several.
    # cargo-nextest names a crate's test binaries `crate` and `crate::binary`.
    owner = case.classname or case.suite
    return bool(owner) and (
        owner == name or owner.endswith(("." + name, "$" + name)) or owner.startswith(name + "::")
    )


def _name_matches(case: CaseResult, test: str) -> bool:
    # Parametrized ids: `test_c` selects `test_c[1]` and `test_c[param-x]`; `*word*` (from
    # `pytest -k word`) the names carrying the word.
    if "*" in test:  # like `-k`, it looks at the class too
        owner = _last_segment(case.classname or "")
        return any(fnmatch.fnmatchcase(n.lower(), test.lower()) for n in (case.name, owner))
    return case.name == test or case.name.startswith(test + "[")


def matches(selector: str, case: CaseResult) -> bool:
    """Whether a test case belongs to what the selector names (`a.py,b.py`: either of them)."""
    if "," in selector:
        return any(matches(part, case) for part in selector.split(",") if part)
    if "::" in selector and case.name == selector.strip():
        return True  # `auth::tests::test_login`: a Rust test's full path is its name
    path, test = _selector_parts(selector)
    if test is not None and "::" in test:  # `tests/a.py::TestY::test_c`: a test in a class
        within, _, name = test.rpartition("::")
        owner = case_owner(case.file, case.classname)
        return (
            _name_matches(case, name)
            and owner.endswith("::" + within)
            and (not path or _file_or_class(case, path))
        )
    if test is not None:
        return _name_matches(case, test) and (not path or _file_or_class(case, path))
    if selector.rstrip().endswith("/"):
        if is_topic(selector):
            return _directory_matches(case, path) or _topic_matches(case, path)
        return _directory_matches(case, path)
    return (
        _file_or_class(case, path)
        or _name_matches(case, path)
        or case.suite == path
        or (names_a_subject(path) and _topic_matches(case, path))
    )


# `UserService`, `executePhaseTemplate`: what the tests are about, not a test class's name.
_SUBJECT_NAME = re.compile(r"[A-Za-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+")
_TEST_CLASS_SUFFIX = re.compile(r"(?:Tests?|Spec|IT)$")


def names_a_subject(selector: str) -> bool:
    """Whether a selector is a class or function the tests are named after, which selects
    `UserServiceTest`, `test_user_service.py` and `user-service.spec.ts` too."""
    return (
        _SUBJECT_NAME.fullmatch(selector) is not None
        and _TEST_CLASS_SUFFIX.search(selector) is None
        and not selector.startswith("test")
    )


def _file_or_class(case: CaseResult, path: str) -> bool:
    if _SOURCE_SUFFIX.search(path) or "/" in path:
        return _file_matches(case, path)
    return _class_matches(case, path)


def _last_segment(owner: str) -> str:
    return owner.replace("$", ".").rsplit(".", 1)[-1]


def _basename(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _case_keys(case: CaseResult) -> set[str]:
    """Every key under which `matches` could accept this case (see `CaseIndex`)."""
    keys = {"n:" + case.name.split("[", 1)[0], "s:" + case.suite}
    if case.file:
        keys.add("b:" + _basename(case.file))
    if case.suite:
        keys.add("b:" + _basename(case.suite))
    if case.classname:
        keys.add("m:" + _basename(_module_path(case.classname)))
    owner = case.classname or case.suite
    if owner:
        keys |= {"c:" + _last_segment(owner), "c:" + owner.partition("::")[0]}
    return keys


def _selector_keys(selector: str) -> set[str] | None:
    """Keys a matching case must carry; None when only a scan can tell (directories)."""
    if "," in selector:
        parts = [_selector_keys(part) for part in selector.split(",") if part]
        return None if any(p is None for p in parts) else set().union(*parts)  # type: ignore[arg-type]
    path, test = _selector_parts(selector)
    if test is not None and "*" not in test:
        return {"n:" + test.rsplit("::", 1)[-1], "n:" + selector.strip()}
    if test is not None:
        return _selector_keys(path) if path else None  # `file::*word*`: the file's cases
    if selector.rstrip().endswith("/") or names_a_subject(selector):
        return None
    keys = {"n:" + path, "s:" + path}
    if _SOURCE_SUFFIX.search(path) or "/" in path:
        keys |= {"b:" + _basename(path), "m:" + _basename(_SOURCE_SUFFIX.sub("", path))}
    else:
        keys.add("c:" + _last_segment(path))
    return keys


class CaseIndex:
    """A run's cases indexed for selectors: a lookup and a check instead of a full scan."""

    def __init__(self, cases: Sequence[CaseResult]) -> None:
        self._cases = cases
        self._by_key: dict[str, list[int]] = {}
        for position, case in enumerate(cases):
            for key in _case_keys(case):
                self._by_key.setdefault(key, []).append(position)
        self._selected: dict[str, list[CaseResult]] = {}

    def select(self, selector: str) -> list[CaseResult]:
        """The cases a selector matches, in run order (memoized per selector)."""
        if selector in self._selected:
            return self._selected[selector]
        keys = _selector_keys(selector)
        if keys is None:
            candidates: Iterable[CaseResult] = self._cases
        else:
            positions = sorted({p for key in keys for p in self._by_key.get(key, ())})
            candidates = (self._cases[p] for p in positions)
        chosen = [case for case in candidates if matches(selector, case)]
        self._selected[selector] = chosen
        return chosen
