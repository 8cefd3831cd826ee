"""Which tests an item is about: a file, a class, a folder, a package or a named group.

Pure: no I/O. Items name their tests in code spans (`test_auth.py`), inside commands
(`pytest tests/unit/test_auth.py -v`), as bare names (`UserTest`), as folders or Go
packages (`internal/crypto`), or as a group ("E2E tests", "scalar type tests"). A group
comes back as a one-segment selector (`e2e/`, `scalar-type/`); the plan resolves it against
the tests it tracks (`group_folder`). Unresolved, it is a conventional folder or a topic (the
tests whose folder, file, class or name carry its words); a vague group ("critical tests")
or one named by a language ("JavaScript tests") leaves the item manual.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.testnames import TEST_NAME, is_test_name, topic_words

_CODE_SPAN = re.compile(r"`([^`]+)`")
_RUNNER = re.compile(
    r"^\s*(?:cd\s+\S+\s*&&\s*)?(?:\w+=\S*\s+)*"
    r"(?:(?:python3?|py) -m |npx |uv run |poetry run |bundle exec |bunx |"
    r"pnpm (?:exec )?|yarn )?(?:pytest|go test|jest|vitest|mocha|rspec|phpunit|"
    r"vendor/bin/phpunit|npm (?:run )?test|yarn test|pnpm test|mvn (?:\S+ )*test|"
    r"\./gradlew test|gradle test|cargo test|dotnet test|playwright test|bun test|deno test|"
    r"mix test|make test(?![\w-])|\./run-tests?\.sh)\b"
)
# Flags that list, collect or filter instead of running the tests a path names.
_NOT_A_RUN = (
    "--markers",
    "--collect-only",
    "--co",
    "--fixtures",
    "--version",
    "--help",
    "--filter",
    "-run",
    "--tests",
    "--listTests",
    "--list",
)
_KEYWORD = re.compile(r"\s-k\s*[\"']?([^\"']+?)[\"']?(?:\s+-|\s*$)")
_SCRIPT = re.compile(r"\.(?:sh|bash|ps1|bat|cmd|mk|ya?ml|json|toml|cfg|ini|txt|md)$")
_PATH = re.compile(r"(?<![\w@:/.-])((?:\.{0,2}/)?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]+)+/?)(?![\w/])")
_SOURCE = re.compile(r"\.(?:py|go|[jt]sx?|java|kt|rb|cs|php|rs|groovy|scala|swift)$")
# A group is up to three words before "tests": "scalar type tests", "mission-critical suite".
_GROUP = re.compile(
    r"\b((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)\s+(?:tests?|suites?|specs?|test suite)\b", re.I
)
_PACKAGE = re.compile(r"`([\w./-]+)`\s+(package|module|folder|directory|crate)s?\b", re.I)
# Verbs that stand before "failure rate" in a plan's steps ("Reduce failure rate to 5%").
_VERBS = frozenset(
    "reduce track keep maintain achieve improve increase get bring raise lower hold monitor "
    "ensure verify measure reach cut drop push lift target".split()
)
# "E2E pass rate ≥ 80%": the rate of a group, though the item never says "tests".
_RATE_OF_GROUP = re.compile(r"\b([a-z][\w-]*)\s+(?:pass|failure|success)[- ]rate\b", re.I)
_CAMEL = re.compile(r"^[A-Z][a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+$")
_LOWER_CAMEL = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+")
# "test_search_with_indexing: < 15s": a Python test function, named without a code span.
_BARE_TEST_FUNCTION = re.compile(r"(?<![\w./:-])test_[a-z0-9_]*[a-z0-9](?![\w./-])")
# Words for the kind of test, less telling than a name before them ("parser unit tests").
_KINDS = frozenset("unit integration e2e functional component".split())
KIND_WORD = "(?:" + "|".join(sorted(_KINDS)) + ")"
# A name in a code span before "tests": "`UserService` tests", "`parser` unit tests".
_SPANNED_GROUP = re.compile(
    rf"`([A-Za-z_][A-Za-z0-9_-]*)`\s+(?:{KIND_WORD}\s+)?(?:tests?|suites?|specs?)\b", re.I
)
# Words before "tests" that mean the whole run, not a part of it.
_WHOLE = frozenset(
    "all overall total the our full entire whole every existing test tests complete "
    "automated its their of for in on and with by from than more less any other remaining "
    "passing failing failed passed skipped green red pytest jest vitest mocha junit cargo "
    "rspec phpunit no single each any individual slowest slow fast verify ensure confirm check "
    "make run see keep get have show ci build builds average mean avg median typical "
    # articles and prepositions of other languages: "taux de réussite des tests"
    "de des du la le les los las da do dos das del em en nos e y et und der die".split()
)
# Words before "tests" that say which tests without naming them: no topic the run carries.
_VAGUE = frozenset(
    "critical important key basic new relevant related affected these those such some many "
    "most few several both similar original additional extra own same specific main major "
    "minor simple complex manual random known listed above below following mentioned "
    "previous current broken problematic target targeted modified changed updated fixed "
    "old high low medium priority remaining identified".split()
)
# "JavaScript tests" in a repository with several languages: a group the run cannot pick out.
_LANGUAGES = frozenset(
    "javascript typescript python java groovy golang rust kotlin ruby php csharp scala swift "
    "node nodejs".split()
)
# Test groups in other languages, as the conventional folder they name.
_FOREIGN_GROUPS = (
    (
        "integration/",
        r"統合テスト|集成测试|통합\s*테스트|testes? de integração|pruebas de integración|"
        r"интеграционн\w* тест",
    ),
    (
        "unit/",
        r"ユニットテスト|単体テスト|单元测试|단위\s*테스트|testes? unitários?|pruebas unitarias|"
        r"модульн\w* тест|юнит-тест",
    ),
    ("e2e/", r"E2E\s*(?:テスト|测试|테스트)"),
)
_FOREIGN_GROUP = re.compile("|".join(p for _, p in _FOREIGN_GROUPS), re.I)
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# A camelCase or PascalCase name with two humps or more, in a sentence of another script.
_IDENTIFIER_IN_FOREIGN = re.compile(
    r"(?<![A-Za-z0-9_])[A-Za-z_][a-z0-9_]*(?:[A-Z][a-z0-9_]+){1,}(?![A-Za-z0-9_])"
)


def scope_of(text: str) -> str | None:
    """The selector of the tests `text` is about, or None for the whole run."""
    package = _package_span(text)
    if package is not None:
        return package
    for span in _CODE_SPAN.findall(text):
        found = _in_span(span)
        if found:
            return found
    outside = _CODE_SPAN.sub(" ", text)
    named = TEST_NAME.search(outside) or _BARE_TEST_FUNCTION.search(outside)
    if named:
        return named.group(0)
    spanned = _SPANNED_GROUP.search(text)  # "All `UserService` tests pass"
    if spanned is not None and spanned.group(1).lower() not in _WHOLE | _VAGUE | _LANGUAGES:
        name = spanned.group(1)
        return name if _is_identifier(name) else name.lower() + "/"
    path = _PATH.search(outside)
    if path and not re.search(r"\d+/\d+|^[A-Z]{1,5}(?:/[A-Z]{1,5})+$", path.group(1)):
        return folder_or_file(path.group(1))
    identifier = _IDENTIFIER_IN_FOREIGN.search(outside) if _NON_LATIN.search(outside) else None
    if identifier is not None:
        return identifier.group(0)  # "executePhaseTemplateユニットテスト": a suite or class
    foreign = _FOREIGN_GROUP.search(outside)
    if foreign is not None:
        return next(g for g, pattern in _FOREIGN_GROUPS if re.search(pattern, foreign.group(0)))
    group = _GROUP.search(outside)
    rate = _RATE_OF_GROUP.search(outside)
    if group is None and rate is not None and rate.group(1).lower() not in _VERBS:
        group = rate
    return _group(group.group(1).split()) if group else None


def names_the_whole_run(words: str) -> bool:
    """ "All 31 specific failing": words before "tests" that pick out no part of the run."""
    return all(w.isdigit() or w.lower() in _WHOLE | _VAGUE for w in words.split())


def _group(words: list[str]) -> str | None:
    """The words before "tests": a class (`SecurityUtils`), the whole run ("all tests"), or a
    topic of up to three words ("scalar type tests" -> `scalar-type/`)."""
    while words and words[-1].lower() in ("test", "tests"):
        words.pop()  # "Groovy test suite"
    if not words or words[-1].lower() in _WHOLE:
        return None
    if _is_class(words[-1]):
        return words[-1]  # "SecurityUtils tests": a class or suite name
    if len(words) > 1 and words[-1].lower() in _KINDS:
        if _is_identifier(words[-2]):
            return words[-2]  # "executePhaseTemplate unit tests": the name says more
        if words[-2].lower() not in _WHOLE | _VAGUE:
            words.pop()  # "parser unit tests" are the parser's (`tests/unit/test_parser.py`)
    topic = [words.pop()]
    while words and words[-1].lower() not in _WHOLE | _VAGUE and not _is_class(words[-1]):
        topic.insert(0, words.pop())
    return "-".join(topic).lower() + "/"


def _is_class(word: str) -> bool:
    return _CAMEL.match(word) is not None and word.lower() not in _LANGUAGES


def _is_identifier(word: str) -> bool:
    """A class (`UserService`) or a camelCase function (`executePhaseTemplate`)."""
    return _is_class(word) or _LOWER_CAMEL.fullmatch(word) is not None


@dataclass(frozen=True, slots=True)
class Command:
    """A test-runner command in a code span: what it runs, if one thing or the whole run."""

    selector: str | None  # None: the whole run
    ambiguous: bool = False  # a filter the bot cannot apply (`--collect-only`, `--filter`)


def runner_command(text: str) -> Command | None:
    """The test command an item quotes (`pytest tests/unit/test_auth.py -v`), if any.

    `-k word` narrows a file to the tests whose names carry that word (`file::*word*`);
    another `-k` expression or `--grep` leaves the whole file, whose passing is enough
    evidence for the tests it narrows to.
    """
    for span in _CODE_SPAN.findall(text):
        if not _RUNNER.search(span):
            continue
        words = [w.strip("'\"") for w in span.split()]
        if any(w.split("=", 1)[0] in _NOT_A_RUN for w in words):
            return Command(None, ambiguous=True)
        crate = _cargo_package(words)
        if crate is not None:
            return Command(crate)  # `cargo test -p cortex-memory`: that crate's tests
        paths = [folder_or_file(w) for w in words if is_test_path(w)]
        projects = _flag_values(words, "--project")
        if len(projects) > 1 or (projects and "playwright" not in words):
            return Command(None, ambiguous=True)
        if len(paths) > 1:  # `pytest tests/a.py tests/b.py`: each of them
            return Command(None if projects else ",".join(dict.fromkeys(paths)))
        if projects and not paths:
            # `npx playwright test --project=smoke`: a project named for its tests' folder,
            # read as that group (the tracked folder, or the tests whose path carries it).
            return Command(_group(projects[0].replace("_", "-").split("-")))
        keyword = _KEYWORD.search(span)
        if paths and keyword and re.fullmatch(r"\w+", keyword.group(1)):
            return Command(f"{paths[0].rstrip('/')}::*{keyword.group(1)}*")
        return Command(paths[0] if paths else None)
    return None


def _flag_values(words: list[str], flag: str) -> list[str]:
    """The values of `--flag=VALUE` and `--flag VALUE` in a command line."""
    values = [w.split("=", 1)[1] for w in words if w.startswith(flag + "=")]
    return values + [value for name, value in itertools.pairwise(words) if name == flag]


def _cargo_package(words: list[str]) -> str | None:
    if words[:2] != ["cargo", "test"]:
        return None
    for flag, value in itertools.pairwise(words):
        if flag in ("-p", "--package"):
            return value
        if flag.startswith("--package="):
            return flag.split("=", 1)[1]
    return None


def is_test_path(word: str) -> bool:
    if word.startswith(("-", "http")) or _SCRIPT.search(word):
        return False
    return is_test_name(word) or ("/" in word.strip("./") and not word.startswith("$"))


def _package_span(text: str) -> str | None:
    """ "The `auth` package tests pass": that package's folder (a crate: its name)."""
    found = _PACKAGE.search(text)
    if found is None:
        return None
    name, kind = found.group(1).strip("/"), found.group(2).lower()
    return name if kind == "crate" else name + "/"


def _in_span(span: str) -> str | None:
    """A test name, file or folder in a code span, also inside a command line."""
    words = span.split()
    if len(words) == 1:
        word = words[0].strip()
        if is_test_path(word):
            return folder_or_file(word)
        method = re.fullmatch(r"((?:[\w.]*\.)?(?:Test\w+|\w+Tests?))\.(\w+)", word)
        if method is not None:  # `UserServiceTest.testLogin`: a method of a test class
            return f"{method.group(1)}::{method.group(2)}"
        return word if re.fullmatch(r"test_\w+|Test\w+|\w+Tests?", word) else None
    for word in (w.strip("'\"") for w in words):
        if word.startswith(("-", "http")):
            continue
        if is_test_name(word) or "/" in word or _SOURCE.search(word):
            return folder_or_file(word)
    return None


def folder_or_file(path: str) -> str:
    """`internal/crypto` is a folder (`internal/crypto/`); `tests/test_x.py` a file."""
    path = path.rstrip(".,;:").removeprefix("./")
    if "/" not in path or path.endswith("/") or "::" in path or _SOURCE.search(path):
        return path
    if "." in path.rsplit("/", 1)[-1]:
        return path
    return path + "/"


def is_group(selector: str | None) -> bool:
    """Whether a selector is a group's name ("e2e/"), not a path the item wrote."""
    return selector is not None and selector.endswith("/") and selector.count("/") == 1


def group_folder(selector: str, tracked: Iterable[str]) -> str | None:
    """The one folder of the plan's tracked tests a group names, or a conventional one.

    "mission-critical suite" with tests under `tests/mission_critical/` is that folder. A
    group no tracked test pins down stays a group: a conventional folder (`unit/`), or a
    topic (`security/`: its folder, or the test files and classes named after it, see
    `testnames.matches`). Several tracked folders of that name are ambiguous: None, and the
    item stays manual.
    """
    words = topic_words(selector.rstrip("/"))
    if set(words) <= _VAGUE or set(words) & _LANGUAGES:
        return None  # "critical tests", "JavaScript unit tests": no topic the run carries
    paths = [name.partition("::")[0] for name in tracked]
    for start in range(len(words)):  # "file creation tests": `creation/` if that is tracked
        if start == 1 and any(_carries_in_order(path, words) for path in paths):
            return selector  # "deduplication hook": `deduplication/hook-integration.test.ts`
        found = _tracked_folder_or_file(words[start:], paths)
        if found is not None:
            return found or None
    return selector


def _carries_in_order(path: str, words: list[str]) -> bool:
    found = [w for part in re.split(r"[/.]", path) for w in topic_words(part)]
    return any(found[i : i + len(words)] == words for i in range(len(found)))


def _tracked_folder_or_file(words: list[str], paths: list[str]) -> str | None:
    """The one folder, or else the one file, of the tracked test paths these words name;
    several folders of that name are ambiguous (the empty string)."""
    folders = {
        "/".join(parts[: position + 1]) + "/"
        for parts in (path.split("/") for path in paths)
        for position, part in enumerate(parts[:-1])
        if topic_words(part) == words
    }
    if folders:
        return folders.pop() if len(folders) == 1 else ""
    files = {path for path in paths if topic_words(_stem(path)) == words}
    return files.pop() if len(files) == 1 else None


def _stem(path: str) -> str:
    """`tests/integration/entity-browser.spec.ts` -> `entity-browser`; `test_auth.py` -> `auth`."""
    base = path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
    return re.sub(r"^test_|_tests?$", "", base)
