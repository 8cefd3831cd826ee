"""The pass-rate metric ("90%+ pass rate"): its reading, its rule, its judge. Pure: no I/O."""

from __future__ import annotations

import re

from bot.core.metrics import scopes
from bot.core.metrics.base import (
    COMPARATOR,
    UPPER_BOUND_WORDS,
    Metric,
    MetricKind,
    RunView,
    Status,
    Verdict,
    compare,
)
from bot.core.metrics.peak_memory import MEMORY_WORDS
from bot.core.results import Outcome
from bot.errors import RuleError

KIND = MetricKind.PASS_RATE
RULE_WORD = "pass-rate"
RULE_ARGUMENTS = "[SELECTOR] CMP N%"

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*(\+)?")
_UPPER_BOUND_AT_END = re.compile(UPPER_BOUND_WORDS + r"\s*$")
_STRICT_LOWER_BOUND_AT_END = re.compile(r"(?:>|above|over|(?<!no )more than)\s*$")
_RULE = re.compile(r"(?:(\S+)\s+)?" + COMPARATOR + r"\s*(\d+(?:\.\d+)?)\s*%")
# A percentage is a pass rate only when it is about tests passing.
_PASSING = re.compile(
    r"\bpass(?:es|ed|ing)?\b|\bgreen\b|\bsuccess\w*\b.*\btests?\b|"
    r"\btests?\b.*\bsuccess\w*\b|\btests?\b[^%]*\brate\b"
)
# "failure rate < 5%", "less than 5% of tests failing", "failing tests below 2%".
_FAILURE_RATE = re.compile(
    r"\b(?:failure|fail|failing)\s+rate\b|%\s*(?:of\s+)?(?:the\s+)?(?:\w+\s+)?tests?\s+fail\w*|"
    r"\bfailing\s+tests?\s*:?\s*(?:at|under|below|<)"
)
# The words of a pass rate in the other languages real plans use, as English: the figures,
# comparisons and test names are the same in every language ("测试通过率 >80%").
_IN_ENGLISH = tuple(
    (re.compile(pattern, re.I), english)
    for pattern, english in (
        (
            r"(\d+(?:\.\d+)?\s*%)\s*(?:以上|이상)",
            r">= \1",
        ),
        (r"(\d+(?:\.\d+)?\s*%)\s*(?:以下|이하)", r"<= \1"),
        (r"(\d+(?:\.\d+)?\s*%)\s*(?:未満|미만)", r"< \1"),
        (
            r"通过率|通過率|合格率|통과율|taxa de aprovação|tasa de aprobación|"
            r"процент (?:прохождения|успешных)",
            " pass rate ",
        ),
        # A success rate is a pass rate only when it is the tests' ("API 成功率" is not).
        (
            r"成功率|성공률|taxa de sucesso|tasa de éxito|taux de réussite|erfolgsquote",
            " success rate ",
        ),
        (
            r"失败率|失敗率|실패율|taxa de falhas?|tasa de fallos?|taux d'échec|"
            r"процент (?:падений|провалов)|fehlerquote",
            " failure rate ",
        ),
        (r"失败测试|失敗テスト|실패\s*테스트", " failing tests "),
        (r"降至|降低到|まで", " to "),
        (r"超过|高于", " above "),
        (r"低于", " below "),
        (r"测试|テスト|테스트|\btestes\b|\bpruebas\b|\btests\b|\bтест\w*", " tests "),
    )
)
# "sign-in.test.tsx: 10/23 → 20/23 (87%)": counts of passing tests going up.
_PASSED_OF = re.compile(r"\b\d+\s*/\s*(\d+)\s*(?:→|->|=>)\s*\d+\s*/\s*\1\b")
# "0.5% failure rate", "5% of tests failing": the figure is of failures.
_FAILURES_AFTER = re.compile(
    r"\s*(?:(?:failure|fail|failing)\s+rate|(?:of\s+)?(?:the\s+)?(?:\w+\s+)?tests?\s+fail)"
)
# "17.8% → 0.5%", "from 72% to 95%+": a figure after an arrow or "to" is the target, the
# figures before it a baseline.
_TO_TARGET = re.compile(r"(?:→|->|=>|⟶|\bto\b)\s*(?:[<>≤≥]=?\s*)?(?:~\s*)?$")


def recognise(text: str) -> Metric | None:
    """The metric of an item that asks for a percentage of passing tests, else None."""
    if MEMORY_WORDS.search(text):
        return None  # a memory item
    context = in_english(text.lower())
    percents = list(_PERCENT.finditer(context))
    if not percents:
        return None
    targets = [m for m in percents[1:] if _TO_TARGET.search(context[: _number_start(m)])]
    match = targets[-1] if targets else percents[0]
    if not (
        match.group(2)
        or _PASSING.search(context)
        or _FAILURE_RATE.search(context)
        or _PASSED_OF.search(context)
    ):
        return None
    value = float(match.group(1)) / 100
    before = context[: match.start()]
    failure_rate = bool(_FAILURE_RATE.search(before) or _FAILURES_AFTER.match(context, match.end()))
    if _UPPER_BOUND_AT_END.search(before) and not failure_rate:
        return None  # "failures under 5%" is not a pass rate
    strict = _STRICT_LOWER_BOUND_AT_END.search(before) or (
        failure_rate and re.search(r"(?:<(?!=)|below|under|less than)\s*$", before)
    )
    if failure_rate:  # "failure rate < 5%": at least 95% pass
        value = 1 - value
    return Metric(
        KIND,
        threshold=round(value, 6),
        comparison=">" if strict else ">=",
        selector=scopes.scope_of(text),
    )


def in_english(text: str) -> str:
    """A pass-rate item's words in English, figures and names untouched."""
    for pattern, english in _IN_ENGLISH:
        text = pattern.sub(english, text)
    return text


def _number_start(percent: re.Match[str]) -> int:
    return percent.start(1)


def parse_arguments(arguments: str) -> Metric:
    """The metric of a `pass-rate` rule from the words after `pass-rate`; raises `RuleError`."""
    match = _RULE.fullmatch(arguments.strip())
    if match is None:
        raise RuleError(
            f"pass-rate rule {arguments!r}: expected e.g. `pass-rate >= 97%` or "
            "`pass-rate tests/e2e/ >= 80%`"
        )
    return Metric(
        KIND,
        selector=match.group(1),
        threshold=float(match.group(3)) / 100,
        comparison=match.group(2),
        source="rule",
    )


def judge(metric: Metric, run: RunView) -> Verdict:
    """Passed over executed tests against the threshold; UNKNOWN if only flaky passes reach it."""
    chosen = run.index.select(metric.selector) if metric.selector else run.cases
    executed = [c for c in chosen if c.outcome is not Outcome.SKIPPED]
    if not executed:
        where = f" matching `{metric.selector}`" if metric.selector else ""
        return Verdict(Status.UNKNOWN, f"no executed tests{where} in this run")
    passed = sum(c.outcome is Outcome.PASSED for c in executed)
    rate = passed / len(executed)
    assert metric.threshold is not None
    over = f" of `{metric.selector}`" if metric.selector else ""
    evidence = (
        f"pass rate{over} {_percent(rate)} ({passed}/{len(executed)}) "
        f"{metric.comparison} {_percent(metric.threshold)}"
    )
    met = compare(rate, metric)
    if met and run.flaky:
        steady = sum(c.outcome is Outcome.PASSED and c.test_id not in run.flaky for c in executed)
        if not compare(steady / len(executed), metric):
            return Verdict(Status.UNKNOWN, f"{evidence}, but only with flaky passes")
    return Verdict.met_if(met, evidence)


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")
