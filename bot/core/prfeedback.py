"""Pull-request feedback: how a PR's run moves each tracked remediation.

Pure module: no I/O. The PR's run is compared with the newest qualifying run of the base
branch, issue by issue: which failures it fixes, which metrics it would meet (or lose), and
which new failures it brings. It reads only the run's test results, never the PR's code,
so a fork's PR gets the same feedback safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.evaluate import RunInput, evaluate
from bot.core.gate import TrackedPlan
from bot.core.markdown_safe import code, inline, prose
from bot.core.metrics.base import Status
from bot.core.results import Outcome

MARKER = "<!-- remediation-bot:pull-request -->"
LIMIT = 65_000
LIST_LIMIT = 25
FAILING = (Outcome.FAILED, Outcome.ERROR)


@dataclass(slots=True)
class Impact:
    """What the PR does to one issue."""

    number: int
    title: str
    url: str | None
    fixes: list[str] = field(default_factory=list)
    new_failures: list[str] = field(default_factory=list)
    would_meet: list[str] = field(default_factory=list)
    would_lose: list[str] = field(default_factory=list)


def _failing(run: RunInput | None) -> set[str]:
    if run is None:
        return set()
    return {c.test_id for c in run.cases if c.outcome in FAILING}


def impacts(issues: Sequence[TrackedPlan], base: RunInput | None, pr: RunInput) -> list[Impact]:
    """Each issue's changes from the base branch's newest run to the PR's run."""
    base_failing, pr_failing = _failing(base), _failing(pr)
    ran = {c.test_id for c in pr.cases}
    results = []
    for issue in issues:
        pr_eval = evaluate(issue.plan, [pr], map_rules=issue.map_rules, ignore=issue.ignore)
        base_eval = (
            evaluate(issue.plan, [base], map_rules=issue.map_rules, ignore=issue.ignore)
            if base is not None
            else None
        )
        impact = Impact(number=issue.number, title=issue.title, url=issue.url)
        owned = {t for phase in pr_eval.phases for t in phase.failing}
        if base_eval is not None:
            owned |= {t for phase in base_eval.phases for t in phase.failing}
        impact.fixes = sorted(t for t in base_failing - pr_failing if t in owned and t in ran)
        impact.new_failures = sorted(pr_failing - base_failing)
        before = {i.index: i.status for i in base_eval.items} if base_eval else {}
        for item in pr_eval.items:
            was = before.get(item.index)
            if item.status is Status.MET and was is not Status.MET:
                impact.would_meet.append(item.text)
            elif item.status is Status.UNMET and was is Status.MET:
                impact.would_lose.append(item.text)
        results.append(impact)
    return results


def render(found: Sequence[Impact], *, run_label: str, base_label: str | None) -> str:
    """The sticky PR comment, under GitHub's size limit, all user text escaped."""
    lines = [MARKER, "", "### Remediation impact of this pull request", ""]
    against = (
        f"the newest run of the base branch ({inline(base_label)})"
        if base_label
        else ("no base-branch run yet")
    )
    lines.append(f"Results of {inline(run_label)} compared with {against}.")
    if not found:
        lines += ["", "No tracked remediation issue in this repository."]
    for impact in found:
        title = inline(impact.title, limit=120)
        heading = f"[#{impact.number}]({impact.url})" if impact.url else f"#{impact.number}"
        lines += ["", f"#### {heading} {title}", ""]
        lines += _section("✅ Fixes", impact.fixes, as_code=True)
        lines += _section("🎯 Metrics it would meet", impact.would_meet, as_code=False)
        lines += _section("⚠️ Metrics it would lose", impact.would_lose, as_code=False)
        lines += _section("❌ New failures", impact.new_failures, as_code=True)
        if not (impact.fixes or impact.would_meet or impact.would_lose or impact.new_failures):
            lines.append("No change to this remediation.")
    text = "\n".join(lines) + "\n"
    if len(text) > LIMIT:
        text = text[:LIMIT].rsplit("\n", 1)[0] + "\n\n… (cut to fit GitHub's limit)\n"
    return text


def _section(title: str, entries: Sequence[str], *, as_code: bool) -> list[str]:
    if not entries:
        return []
    shown = [f"- {code(e) if as_code else prose(e)}" for e in entries[:LIST_LIMIT]]
    more = [f"- … and {len(entries) - LIST_LIMIT} more"] if len(entries) > LIST_LIMIT else []
    return [f"**{title}** ({len(entries)})", "", *shown, *more, ""]
