"""Items whose subject is not a test result a run carries: they stay manual. Pure: no I/O.

A run proves what tests did: passed, failed, how long, how much memory. Checklist items
about code (imports, lint, types, references), coverage, logs, services and SLAs, builds,
security findings, process, or about several runs or a baseline, read the same words
("no errors", "80%", "< 5 s") but are not about test results; reading them as metrics would
tick boxes no run proves. `manual_reason` names the subject so people see why. Items over
several runs or against a baseline are left to the multi-run kinds (streak, window,
no-flaky, no-new-failures), which read only the forms they can judge over the run history.
"""

from __future__ import annotations

import re

# The reasons the multi-run kinds may still read an item by (`bot.core.metrics.MULTI_RUN`).
SEVERAL_RUNS = "needs several runs (one run cannot prove it)"
_PLATFORM = (
    r"\b(?:windows|macos|mac os|os x|linux|safari|firefox|chrome|chromium|webkit|ios|"
    r"android|python 3\.\d+|node(?:\.js)? \d+|java \d+|jdk \d+)\b"
)
_LOCAL = (
    r"\blocally\b(?!\s+and\s+(?:in\s+|on\s+)?ci\b)|\blocal (?:run|machine|environment)\b|"
    r"\bon (?:my|your|any) machine\b|"
    r"\b(?:development|dev) (?:machine|box|environment)s?\b|\bany machine\b"
)
# A way of running the tests that a run's results do not record.
_CONDITION = (
    r"\bpass\w*\s+(?:\w+\s+){0,3}?(?:in parallel|concurrently|in (?:a )?random(?:ized)? order|"
    r"with random\w*(?: order\w*)?|in any order|offline|without (?:a |any )?(?:network|internet)|"
    r"in (?:a )?docker|in (?:a )?containers?|in isolation|individually|one at a time)\b|"
    r"\s-n\s*(?:auto|\d+)\b|--random-order\b|-p\s+randomly\b|--shuffle\b|--forked\b|"
    # "passes with `--strict-markers`", "with pytest-randomly", "under load"
    r"\bpass\w*\s+(?:\w+\s+){0,3}?(?:with|using)\s+(?:`-|pytest-\w+|warnings as errors)|"
    r"\bpass\w*\s+(?:\w+\s+){0,2}?under\s+(?:load|stress)\b"
)
_ELSEWHERE = re.compile(f"{_PLATFORM}|{_LOCAL}|{_CONDITION}", re.I)
BASELINE = "relative to a baseline (one run cannot prove it)"
CODE = "about code (lint, types, imports, references), not test results"
BUILD = "about builds or compilation, not test results"

# (reason, pattern): the first that matches an item's text decides. Word boundaries keep
# "imports" from matching inside test names such as `test_imports_resolve`.
_SUBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.I))
    for reason, pattern in (
        (
            "about logs, not test results",
            r"\blogs?\b|\boutput\b|\bconsole\b|\bstderr\b|\bstdout\b",
        ),
        ("about coverage, not test results", r"\bcoverage\b|\bcovered\b"),
        (
            "asks for new tests to be written, not for a result",
            r"^\W*(?:add|write|create|implement)\s+(?:\w+\s+){0,3}?tests?\b",
        ),
        ("about moving or renaming code, not test results", r"`[^`]+`\s*(?:→|->|=>)\s*`[^`]+`"),
        ("names a platform, browser or runtime the run may not be on", _PLATFORM),
        ("about a local run, not the CI run the bot reads", _LOCAL),
        ("names a way of running the tests the run does not record", _CONDITION),
        (
            CODE,
            r"\b(?:lint\w*|clippy|ruff|mypy|eslint|flake8|pylint|tsc|typecheck\w*|type[- ]check\w*|"
            r"type errors?|type definitions?|import(?:s|ed)?(?!(?:/\w+)?\s+errors?\b)|"
            r"unused|references?|"
            r"occurrences?|warnings?|deprecat\w*|todo|fixme|dead code|cow imports?|"
            r"attr-defined|union-attr|var-annotated|import-untyped|override|"
            r"files? (?:exists?|remains?|deleted|moved|renamed)|director(?:y|ies)|quality)\b|"
            # what the tests' code does, not how they ran: "No tests accept 500 errors",
            # "No `contextlib.suppress(Exception)` in tests", "No violations in codebase"
            r"^\W*(?:no|zero)\s+tests?\s+(?:accepts?|uses?|calls?|imports?|contains?|has|have|"
            r"rel(?:y|ies)|depends?|mocks?|patch\w*|suppress\w*|catch\w*|swallow\w*|hardcode\w*|"
            r"sleeps?|access\w*|writes?|reads?|modif\w*|mutates?|shares?|touch\w*|ignores?)\b|"
            r"^\W*(?:no|zero)\s+`[^`]*\([^`]*`|"
            r"\bin\s+(?:the\s+)?(?:codebase|code base|source code|src|production code|app code)\b",
        ),
        (
            BUILD,
            r"\b(?:compil\w*|builds?(?!\s+(?:[\w-]+\s+)?(?:tests?|specs?|suites?)\b)|bundles?|"
            r"cache hit\w*|hit rates?|"
            r"collection\s+(?:time|takes|duration|phase|step|completes|finishes|runs))\b|"
            r"\bcollect\w*\s+in\s+(?:under|<|less than)",
        ),
        (
            "about a service, SLA or production, not test results",
            r"\b(?:latency|response times?|uptime|sla|slo|throughput|requests? per|rps|qps|"
            r"p(?:50|75|90|95|99)|percentiles?|"
            r"production|prod|deploy\w*|staging|error rates?|"
            r"(?<!test )(?<!\d% )success rates?(?! of (?:all |the )?tests)|"
            r"data loss|memory leaks?|race conditions?|-race|redis|memcached|kafka|"
            r"(?:api|endpoint|quer(?:y|ies)|requests?|pages?)\s+(?:\w+\s+)?(?:under|below|within))\b",
        ),
        (
            "about issues, reviews or process, not test results",
            r"\b(?:p[0-3]|blockers?|blocking|critical issues?|severity|vulnerabilit\w*|cves?|"
            r"security(?!\s+(?:tests?|test suites?|suites?|specs?)\b)|"
            r"issues? (?:open|remain\w*)|false positives?|reviewed|approved|documented|"
            r"commit(?:s|ted)?|pushed|merged|pull requests?|prs?|"
            r"(?:critical|major|minor) (?:test )?failures?|race detector|"
            r"(?:continue|keep)\s+(?:\w+\s+)?(?:target|aim|work)\w*)\b|"
            r"定義され|記載され|文書化|ドキュメント|文档|已记录",
        ),
        (
            SEVERAL_RUNS,
            r"\b(?:consecutive|consistently|reliabl\w*|stability|flak\w*|"
            r"multiple runs|across \d+ runs|\d+ (?:of|out of) \d+ runs|over \d+ runs|"
            r"\d+\s*/\s*\d+ runs|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|"
            r"twelve) (?:\w+ ){0,2}runs|in a row|every run|all runs|"
            r"(?:for|over|during) (?:the )?(?:last |past |next )?(?:\d+|a|one|two|three|four) "
            r"(?:days?|weeks?|months?|sprints?)|every (?:day|night|week)|nightly)\b",
        ),
        (
            BASELINE,
            r"\b(?:reduc\w*|improv\w*|decreas\w*|increas\w*|faster|slower)\s+(?:\S+\s+){0,3}"
            r"by\s+\d|\b(?:faster than|slower than before|(?:no|zero) new|regressions?|overhead|"
            r"impact|breaking changes?|other tests? (?:broken|break\w*|fail\w*|affected))\b|"
            r"(?<![\w.])[-−]\d+(?:\.\d+)?\s*%",
        ),
    )
)


def elsewhere(text: str) -> bool:
    """Whether an item ties its tests to a platform, a local run or a way of running them
    (in parallel, in random order, offline) the CI run may not be."""
    return _ELSEWHERE.search(text) is not None


def manual_reason(text: str) -> str | None:
    """Why an item is not about a test result a run carries, or None when it may be."""
    for reason, pattern in _SUBJECTS:
        if pattern.search(text):
            return reason
    return None
