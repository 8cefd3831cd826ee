"""Reading benchmark: how well the plan reader understands real remediation plans.

For every plan in `fixtures/plans/` that has a `<slug>.expected.yml` (expectations written by
hand before the reader ran, see fixtures/plans/SOURCES.md), it prints whether the phases
were read right, how many checklist items were read with the right kind and threshold, and
how many boxes the bot would tick wrongly on an all-green and on an all-red run.

Run with `python -m benchmarks.reading [--verbose] [--plan SLUG] [--batch BATCH]`. Always exits 0: a
report, not a test (tests/core/test_reading_corpus.py holds the zero-wrong-ticks line).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core import reconcile
from bot.core.evaluate import RunInput
from bot.core.plan import Item, Plan
from bot.core.repoconfig import RepoConfig
from bot.core.results import CaseResult, Outcome, SuiteResult
from bot.core.testnames import matches, names_a_subject, topic_words

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
MACHINE_KINDS = frozenset(
    {"tests_passing", "pass_rate", "duration", "peak_memory", "zero_failures", "streak"}
)
MULTI_RUN = frozenset({"streak", "window", "no_flaky", "no_new_failures"})
# Kinds a red run can still meet truthfully: they bound durations or memory, not outcomes.
OUTCOME_FREE = frozenset({"duration", "peak_memory"})
GENERIC_TESTS = 20


@dataclass
class PlanScore:
    """One plan's result."""

    slug: str
    phases_expected: int
    phases_read: int
    phases_right: bool
    machine_total: int = 0
    machine_right: int = 0
    manual_total: int = 0
    manual_right: int = 0
    wrong_green: list[str] = field(default_factory=list)
    wrong_red: list[str] = field(default_factory=list)
    misread: list[str] = field(default_factory=list)


def corpus(folder: Path = PLANS) -> list[tuple[str, str, dict[str, Any]]]:
    """(slug, body, expectations) for every plan with expectations, by slug."""
    found = []
    for expected in sorted(folder.glob("*.expected.yml")):
        slug = expected.name.removesuffix(".expected.yml")
        body = (folder / f"{slug}.md").read_bytes().decode("utf-8")
        found.append((slug, body, yaml.safe_load(expected.read_text(encoding="utf-8"))))
    return found


def _normal(text: str) -> str:
    """Lower-case letters, digits and spaces only: markup, emoji and punctuation dropped."""
    kept = "".join(
        c if unicodedata.category(c)[0] in "LN" else " "
        for c in unicodedata.normalize("NFKC", text)
    )
    return " ".join(kept.lower().split())


def phases_right(expected: list[str], plan: Plan) -> bool:
    """Same count, and each phase read names (part of) the heading a maintainer counted."""
    if len(expected) != len(plan.phases):
        return False
    for heading, phase in zip(expected, plan.phases, strict=True):
        title = _normal(phase.title) or _normal(phase.label)
        if title not in _normal(heading):
            return False
    return True


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _same_direction(expected: str | None, read: str) -> bool:
    if expected is None:
        return True
    return (expected in ("<", "<=")) == (read in ("<", "<="))


# A maintainer's group words in the plan's language, and the conventional folder they name.
_GROUP_WORDS = (
    (
        "integration",
        r"統合テスト|集成测试|통합\s*테스트|testes? de integração|"
        r"pruebas de integración",
    ),
    (
        "unit",
        r"ユニットテスト|単体テスト|单元测试|단위\s*테스트|testes? unitários?|"
        r"pruebas unitarias",
    ),
)


def _scope_matches(expected: str | list[str] | None, read: str | None) -> bool:
    if read is not None and "," in read:  # several files read: each one the maintainer named
        wanted = expected if isinstance(expected, list) else [expected]
        parts = read.split(",")
        return all(any(_scope_matches(w, p) for p in parts) for w in wanted) and all(
            any(_scope_matches(w, p) for w in wanted) for p in parts
        )
    if isinstance(expected, list):
        return any(_scope_matches(one, read) for one in expected)
    if expected is None:
        return read is None
    if read is None:
        return False
    if re.search(r"::\*\w+\*$", read) and _scope_matches(expected, read.split("::*")[1][:-1]):
        return True  # `file::*csv*` (from `pytest file -k csv`) is "csv"
    for english, foreign in _GROUP_WORDS:
        expected = re.sub(foreign, f"{english} tests", expected, flags=re.I)
    # `./pkg/models/...` (Go's "this folder and below") is the folder `pkg/models/`.
    # `x.spec.ts:79` (a line in the file) is satisfied by the whole file passing.
    # A topic the reader read (`scalar-type/`: tests whose folder, file, class or name carry
    # those words) is right when it selects what the maintainer named ("scalar type tests").
    if (re.fullmatch(r"[\w-]+/", read) or names_a_subject(read)) and matches(
        read, _case(expected, Outcome.PASSED)
    ):
        return True
    a, b = (
        re.sub(r":\d+$", "", s.strip("`/ ").removeprefix("./").removesuffix("/..."))
        for s in (expected, read)
    )
    if a == b or a.endswith("/" + b) or b.endswith("/" + a) or a.endswith("::" + b):
        return True
    # "scalar type tests" (a maintainer's words) is the topic `scalar-type/` (the tests whose
    # folder, file or class carries those words), and "error-scenarios/" is `error-scenario/`.
    # "CLI tests" (a maintainer's words) names the folder `tests/cli/` the reader resolved.
    # So does "scalar type tests" the file `tests/unit/test_scalar_types.py`.
    words = topic_words(re.sub(r"suites?", "", a))
    return bool(words) and any(topic_words(part.split(".", 1)[0]) == words for part in b.split("/"))


def _all_pass(kind: str, expected: dict[str, Any]) -> bool:
    """ "100% pass" over some tests and "those tests pass" are the same predicate."""
    if kind == "pass_rate":
        return expected.get("threshold") == 1.0 and expected.get("comparison", ">=") == ">="
    return kind == "tests_passing" and expected.get("threshold") is None


def item_right(expected: dict[str, Any], item: Item) -> bool:
    """Whether the reader's reading is the maintainer's: manual stays manual, kinds agree."""
    kind = expected.get("kind") or "manual"
    metric = item.metric
    if metric is not None and kind in ("pass_rate", "tests_passing") and metric.kind.value != kind:
        read = {"threshold": metric.threshold, "comparison": metric.comparison}
        if _all_pass(kind, expected) and _all_pass(
            metric.kind.value,
            read | {"threshold": (metric.threshold if metric.kind.value == "pass_rate" else None)},
        ):
            return _scope_matches(expected.get("scope"), metric.selector)
    if kind not in MACHINE_KINDS or expected.get("goal") is False:
        return metric is None
    if kind == "streak" and metric is not None and metric.kind.value in MULTI_RUN:
        kind = "streak"
    elif metric is None or metric.kind.value != kind:
        return False
    threshold = expected.get("threshold")
    if kind == "tests_passing":
        return metric.expected == threshold and _scope_matches(
            expected.get("scope"), metric.selector
        )
    if kind == "zero_failures":
        return True
    if kind == "streak":  # any reading over several runs; the runs it names must agree
        return threshold is None or metric.runs is None or int(threshold) == metric.runs
    return (
        _close(float(threshold) if threshold is not None else None, metric.threshold)
        and _same_direction(expected.get("comparison"), metric.comparison)
        and (kind != "pass_rate" or _scope_matches(expected.get("scope"), metric.selector))
    )


def _reading(item: Item) -> dict[str, Any] | str:
    if item.metric is None:
        return "manual"
    found = item.metric.as_dict()
    found.pop("source", None)
    found["kind"] = item.metric.kind.value
    return found


def _case(name: str, outcome: Outcome) -> CaseResult:
    """A test case a plan's name could select: `path::test`, a file, a class or a test."""
    path, _, test = name.partition("::")
    failed = outcome is Outcome.FAILED
    details = (
        {"message": "AssertionError: boom", "failure_type": "AssertionError"} if failed else {}
    )
    if "/" in path or ("." in path and path.rsplit(".", 1)[-1].isalpha() and " " not in path):
        return CaseResult(
            suite=path,
            classname=path,
            name=test or "test_case",
            outcome=outcome,
            file=path,
            duration=0.01,
            **details,  # type: ignore[arg-type]
        )
    return CaseResult(
        suite="suite",
        classname=name,
        name=test or name,
        outcome=outcome,
        duration=0.01,
        **details,  # type: ignore[arg-type]
    )


def synthetic_run(plan: Plan, expected: dict[str, Any], outcome: Outcome) -> RunInput:
    """Every test the plan names (as read, and as expected), plus a few others, all `outcome`."""
    names = list(plan.tests)
    for want in expected.get("items") or []:
        scope = want.get("scope")
        names += scope if isinstance(scope, list) else [scope] if scope else []
    names += [f"tests/test_other.py::test_{n}" for n in range(GENERIC_TESTS)]
    cases = [_case(str(name), outcome) for name in dict.fromkeys(names)]
    suites = [SuiteResult(name="suite", properties={"peak_memory_mb": "10"}, tests=len(cases))]
    return RunInput(cases=cases, suites=suites, label=f"all {outcome.value}")


def _ticked(body: str, run: RunInput) -> set[int]:
    desired = reconcile.desire(body=body, runs=[run], config=RepoConfig())
    return {d.index for d in desired.decisions if d.checked}


def _wrong_tick(expected: dict[str, Any], red: bool) -> bool:
    kind = expected.get("kind") or "manual"
    if kind not in MACHINE_KINDS or kind == "streak" or expected.get("goal") is False:
        return True  # nothing one run carries proves it
    # "All Tier 1 tests pass in <5 min" bounds a time and says the tests pass: red refutes it.
    says_pass = re.search(r"\bpass(?:es|ing)?\b(?!\s*rate)", expected.get("text", ""), re.I)
    return red and (kind not in OUTCOME_FREE or says_pass is not None)


def score(slug: str, body: str, expected: dict[str, Any]) -> PlanScore:
    """Read one plan, compare with the expectations, and tick it on two synthetic runs."""
    plan = reconcile.read_plan(body, RepoConfig())
    wanted = expected.get("items") or []
    result = PlanScore(
        slug=slug,
        phases_expected=len(expected.get("phases") or []),
        phases_read=len(plan.phases),
        phases_right=phases_right(expected.get("phases") or [], plan),
    )
    for want, item in zip(wanted, plan.items, strict=False):
        machine = (want.get("kind") or "manual") in MACHINE_KINDS and want.get("goal") is not False
        right = item_right(want, item)
        if machine:
            result.machine_total += 1
            result.machine_right += right
        else:
            result.manual_total += 1
            result.manual_right += right
        if not right:
            read = _reading(item)
            wanted_reading = {
                k: want[k] for k in ("kind", "scope", "threshold", "comparison") if k in want
            }
            result.misread.append(
                f"#{item.index} {item.text[:70]!r}: read {read}, expected {wanted_reading}"
            )
    if len(wanted) != len(plan.items):
        result.misread.append(f"{len(plan.items)} checkboxes read, {len(wanted)} expected")
    by_index = dict(enumerate(wanted))
    for outcome, wrong in (
        (Outcome.PASSED, result.wrong_green),
        (Outcome.FAILED, result.wrong_red),
    ):
        for index in sorted(_ticked(body, synthetic_run(plan, expected, outcome))):
            want = by_index.get(index, {})
            if not want.get("checked") and _wrong_tick(want, outcome is Outcome.FAILED):
                wrong.append(f"#{index} {want.get('text', '?')[:70]!r}")
    return result


def main() -> None:
    """Print the per-plan table and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list each misread item")
    parser.add_argument("--plan", help="only this slug")
    parser.add_argument(
        "--batch", help="only the plans whose slug starts with BATCH- (k1, m2, ...)"
    )
    parser.add_argument("--plans", type=Path, default=PLANS, help="the corpus folder")
    args = parser.parse_args()
    scores = [
        score(*entry)
        for entry in corpus(args.plans)
        if args.plan in (None, entry[0])
        and (args.batch is None or entry[0].startswith(f"{args.batch}-"))
    ]
    print(f"{'plan':44} phases  machine  manual  wrong(green/red)")
    for s in scores:
        mark = "ok" if s.phases_right else f"{s.phases_read}/{s.phases_expected}"
        print(
            f"{s.slug[:44]:44} {mark:>6}  {s.machine_right:>3}/{s.machine_total:<3} "
            f"{s.manual_right:>3}/{s.manual_total:<3}  {len(s.wrong_green)}/{len(s.wrong_red)}"
        )
        if args.verbose:
            for line in [*s.misread, *(f"WRONG TICK green {w}" for w in s.wrong_green)]:
                print(f"    {line}")
            for w in s.wrong_red:
                print(f"    WRONG TICK red {w}")
    plans = len(scores) or 1
    machine = sum(s.machine_total for s in scores) or 1
    manual = sum(s.manual_total for s in scores) or 1
    print()
    print(f"plans: {len(scores)}")
    print(
        f"phases right: {sum(s.phases_right for s in scores)}/{len(scores)} "
        f"({sum(s.phases_right for s in scores) / plans:.0%}; target 90%)"
    )
    print(
        f"machine-checkable items read right: {sum(s.machine_right for s in scores)}/{machine} "
        f"({sum(s.machine_right for s in scores) / machine:.0%}; target 95%)"
    )
    print(
        f"manual items kept manual: {sum(s.manual_right for s in scores)}/{manual} "
        f"({sum(s.manual_right for s in scores) / manual:.0%})"
    )
    print(
        f"wrong ticks: {sum(len(s.wrong_green) for s in scores)} on all-green, "
        f"{sum(len(s.wrong_red) for s in scores)} on all-red (target 0 and 0)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
