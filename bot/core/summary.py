"""Evaluation -> the Markdown of the one summary comment the bot keeps on an issue.

Pure module: no I/O and no clock, so the same evaluation always renders the same bytes and
an unchanged comment needs no edit. Every piece of text from the issue or from CI goes
through `bot.core.markdown_safe`; the only HTML is the bot's own `<details>`/`<summary>`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.core.evaluate import Evaluation, FailureGroup, ItemResult, TrackedResult
from bot.core.markdown_safe import code, inline, prose
from bot.core.metrics.base import Status
from bot.core.metrics.units import format_bytes, format_seconds, plural
from bot.core.plan import Plan
from bot.core.readings import Reading

MARKER = "<!-- remediation-bot:summary -->"
FOOTER = "Updated by remediation-bot · `/remediation help` for commands"
# GitHub refuses comment bodies over 65,536 characters; the default keeps a margin.
DEFAULT_LIMIT = 65_000
MIN_LIMIT = 1_000
FOLD_OVER = 3  # lists longer than this go into <details>

_TRACKED = {"passing": "✅ passing", "failing": "❌ failing", "missing": "⚪ missing"}
_ITEM = {
    Status.MET: "✅ **met**",
    Status.UNMET: "❌ **unmet**",
    Status.UNKNOWN: "❔ **unknown**",
    Status.MANUAL: "✋ **manual**",
}
_CUT_NOTE = "_The rest of this report was cut to fit GitHub's comment size limit._"
_CLOSE_DETAILS = "\n\n</details>\n"


@dataclass(frozen=True, slots=True)
class _Detail:
    """How much of each list one rendering shows."""

    tests: int  # test ids listed per group or list; 0 shows counts only
    groups: int  # failure groups shown per phase
    rows: int  # tracked tests, items, phases and notes shown
    text: int  # visible characters of one message, name or item


# From everything to the bare minimum; the first rendering that fits the limit wins.
_LEVELS = (
    _Detail(tests=50, groups=20, rows=100, text=300),
    _Detail(tests=10, groups=10, rows=50, text=200),
    _Detail(tests=0, groups=5, rows=30, text=160),
    _Detail(tests=0, groups=1, rows=10, text=100),
)


def render(
    evaluation: Evaluation,
    plan: Plan,
    *,
    title: str | None = None,
    limit: int = DEFAULT_LIMIT,
    readings: Sequence[Reading] = (),
) -> str:
    """The summary comment: MARKER on the first line, never longer than `limit` characters.

    `readings` (how each item is read) fold into their own section, the first one left out
    when the comment is too long: the results matter more than how they were read.
    """
    if limit < MIN_LIMIT:
        raise ValueError(f"limit must be at least {MIN_LIMIT} characters")
    body = ""
    attempts = [(_LEVELS[0], readings), *((detail, ()) for detail in _LEVELS)]
    for detail, shown in attempts if readings else ((d, ()) for d in _LEVELS):
        body = _compose(evaluation, plan, title, detail, shown)
        if len(body) <= limit:
            return body
    return _cut(body, limit)


def _compose(
    evaluation: Evaluation,
    plan: Plan,
    title: str | None,
    d: _Detail,
    readings: Sequence[Reading] = (),
) -> str:
    sections = [
        [MARKER],
        _headline(evaluation, title),
        _tracked(evaluation.tracked, d),
        _items(evaluation.items, d),
        _readings(readings, d),
        _phases(evaluation, plan, d),
        _unplanned(evaluation.unplanned, d),
        _changes(evaluation, d),
        _discrepancies(evaluation.discrepancies, d),
        _rules(evaluation.rules, d),
        [FOOTER],
    ]
    return "\n\n".join("\n".join(lines).strip("\n") for lines in sections if lines) + "\n"


def _readings(readings: Sequence[Reading], d: _Detail) -> list[str]:
    if not readings:
        return []
    lines = ["<details><summary>How the checklist is read</summary>", ""]
    for reading in readings[: d.rows]:
        text = prose(reading.text, limit=d.text)
        lines.append(f"- `#{reading.index}` {text} — {prose(reading.words, limit=d.text)}")
        if reading.suggestion:
            command = code(f"/remediation rule #{reading.index} {reading.suggestion}")
            lines.append(f"  - to measure it: {command}")
    # The blank line ends the HTML block, so the list inside stays Markdown (see _test_list).
    return [*lines, *_more(len(readings) - d.rows, "item"), "", "</details>"]


def _rules(rules: Sequence[str], d: _Detail) -> list[str]:
    if not rules:
        return []
    lines = ["#### Rules set by command", ""]
    lines += [f"- {prose(rule, limit=d.text)}" for rule in rules[: d.rows]]
    return lines + _more(len(rules) - d.rows, "rule")


def _items_line(evaluation: Evaluation) -> str:
    """Items met; once all measured ones are, what is left for people to tick."""
    metrics = evaluation.metrics
    if not metrics:
        return "No machine-checkable items"
    met = sum(item.status is Status.MET for item in metrics)
    line = f"Items met: **{met} of {len(metrics)}**"
    if met < len(metrics):
        return line
    left = sum(item.status is Status.MANUAL and not item.checked for item in evaluation.items)
    if left:
        return f"{line} (all measured criteria met; {plural(left, 'manual item')} left)"
    return f"{line} (all criteria met)"


def _headline(evaluation: Evaluation, title: str | None) -> list[str]:
    totals = evaluation.totals
    executed = totals.tests - totals.skipped
    rate = totals.pass_rate
    score = (
        f"**{totals.passed}/{executed} passing ({_percent(rate)})**"
        if rate is not None
        else "**no tests executed**"
    )
    counts = " · ".join(
        [
            f"✅ {totals.passed} passed",
            f"❌ {totals.failed} failed",
            f"⚠️ {plural(totals.errors, 'error')}",
            f"⏭️ {totals.skipped} skipped",
        ]
    )
    items = _items_line(evaluation)
    return [
        f"### {inline(title or '', limit=150) or 'Remediation status'}",
        "",
        f"{score} · {counts}",
        "",
        f"{items} · Trend: {_trend(evaluation)} · Run: {_run(evaluation)}",
    ]


def _trend(evaluation: Evaluation) -> str:
    if evaluation.previous is None:
        return "first run"
    now, before = evaluation.totals.pass_rate, evaluation.previous.pass_rate
    if now is None or before is None:
        return "no comparable previous run"
    delta = (now - before) * 100
    if round(delta, 1) == 0:
        return f"= {_percent(now)}, as in the previous run"
    arrow = "▲" if delta > 0 else "▼"
    return f"{arrow} {delta:+.1f} pts ({_percent(before)} → {_percent(now)})"


def _run(evaluation: Evaluation) -> str:
    label = inline(evaluation.run_label, limit=100) or "this run"
    url = evaluation.run_url
    # Only web links, percent-encoded so no character can end the link or start markup.
    if url and len(url) <= 2000 and re.match(r"https?://", url, re.IGNORECASE):
        return f"[{label}]({quote(url, safe=':/?#=&%+,;')})"
    return label


def _tracked(tracked: Sequence[TrackedResult], d: _Detail) -> list[str]:
    if not tracked:
        return []
    lines = [
        "#### Tracked tests",
        "",
        "| Test file | Passed | Status | Time | Peak memory |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for test in tracked[: d.rows]:
        status = _TRACKED.get(test.status) or inline(test.status, limit=20)
        seconds = format_seconds(test.seconds) if test.seconds is not None else "—"
        memory = format_bytes(test.peak_memory) if test.peak_memory is not None else "—"
        name = inline(test.name, limit=d.text)
        lines.append(f"| {name} | {test.passed}/{test.total} | {status} | {seconds} | {memory} |")
    return lines + _more(len(tracked) - d.rows, "tracked test")


_MAX_CRITERIA = 12


def _items(items: Sequence[ItemResult], d: _Detail) -> list[str]:
    if not items:
        return []
    lines = ["#### Success metrics", ""]
    for item in items[: d.rows]:
        line = f"- `#{item.index}` {_ITEM[item.status]} · {prose(item.text, limit=d.text)}"
        line += f" — {prose(item.evidence, limit=d.text)}"
        if item.checked and item.status is Status.UNMET:
            line += " · ⚠️ ticked in the issue, but this run does not confirm it"
        elif item.checked:
            line += " · ☑️ already ticked in the issue"
        lines.append(line)
    return lines + _more(len(items) - d.rows, "item")


def _phases(evaluation: Evaluation, plan: Plan, d: _Detail) -> list[str]:
    if not evaluation.phases:
        return []
    planned = {phase.number: phase for phase in plan.phases}
    lines = ["#### Phases"]
    for result in evaluation.phases[: d.rows]:
        heading = f"**{inline(result.label, limit=40)}: {inline(result.title, limit=d.text)}**"
        source = planned.get(result.number)
        if source and source.priority:
            heading += f" · priority {inline(source.priority, limit=20)}"
        if source and source.estimate:
            heading += f" · {inline(source.estimate, limit=40)}"
        criteria = _criteria(evaluation.items, result.number)
        if not result.groups:
            lines += ["", f"{heading} — ✅ no failures mapped{criteria}"]
            continue
        failing = plural(len(result.failing), "failing test")
        groups = plural(len(result.groups), "group")
        lines += ["", f"{heading} — ❌ {failing} in {groups}{criteria}", ""]
        lines += _groups(result.groups, d)
    hidden = evaluation.phases[d.rows :]
    return lines + _more(len(hidden), "phase")


def _criteria(items: Sequence[ItemResult], phase: int) -> str:
    """The phase's own success criteria, by number and status ("criteria: `#3` ✅ `#4` ❌")."""
    own = [i for i in items if i.phase == phase]
    if not own:
        return ""
    marks = " ".join(f"`#{i.index}` {_ITEM[i.status].split()[0]}" for i in own[:_MAX_CRITERIA])
    more = f" and {len(own) - _MAX_CRITERIA} more" if len(own) > _MAX_CRITERIA else ""
    return f" · criteria: {marks}{more}"


def _unplanned(groups: Sequence[FailureGroup], d: _Detail) -> list[str]:
    if not groups:
        return []
    tests = sum(len(group.tests) for group in groups)
    return [
        f"#### ⚠️ Unplanned failures: {plural(tests, 'test')} no phase covers",
        "",
        *_groups(groups, d),
    ]


def _groups(groups: Sequence[FailureGroup], d: _Detail) -> list[str]:
    lines: list[str] = []
    for group in groups[: d.groups]:
        message = code(group.message, limit=d.text) if group.message.strip() else "(no message)"
        size = plural(len(group.tests), "test")
        lines.append(f"- {message} — **{size}** · {prose(group.reason, limit=d.text)}")
        lines += _test_list(group.tests, d, indent="  ")
    hidden = groups[d.groups :]
    if hidden:
        tests = sum(len(group.tests) for group in hidden)
        lines.append(f"- … and {plural(len(hidden), 'more group')} ({plural(tests, 'test')})")
    return lines


def _changes(evaluation: Evaluation, d: _Detail) -> list[str]:
    lists = [
        ("🆕 Newly failing", evaluation.newly_failing),
        ("🎉 Newly fixed", evaluation.newly_fixed),
        ("🎲 Flaky", evaluation.flaky),
        ("🙈 Ignored", evaluation.ignored),
    ]
    lines: list[str] = []
    for name, tests in lists:
        if tests:
            lines += ["", f"**{name} ({len(tests)})**", ""]
            lines += _test_list(tests, d, indent="") or ["(list left out for size)"]
    return ["#### Changes since the previous run", *lines] if lines else []


def _discrepancies(notes: Sequence[str], d: _Detail) -> list[str]:
    if not notes:
        return []
    lines = ["> [!NOTE]", "> The issue's own figures disagree with the data:"]
    lines += [f"> - {prose(note, limit=d.text * 2)}" for note in notes[: d.rows]]
    if len(notes) > d.rows:
        lines.append(f"> - … and {len(notes) - d.rows} more")
    return lines


def _test_list(tests: Sequence[str], d: _Detail, *, indent: str) -> list[str]:
    """Test ids as a list, folded in <details> when long; none when detail is off."""
    if not tests or d.tests == 0:
        return []
    lines = [f"{indent}- {code(test, limit=d.text + 100)}" for test in tests[: d.tests]]
    if len(tests) > d.tests:
        lines.append(f"{indent}- … and {len(tests) - d.tests} more")
    if len(tests) <= FOLD_OVER:
        return lines
    # An HTML block ends only at a blank line: the blanks keep the list Markdown and stop
    # whatever follows from being swallowed into the block.
    summary = f"{indent}<details><summary>{plural(len(tests), 'test')}</summary>"
    return [summary, "", *lines, "", f"{indent}</details>", ""]


def _cut(body: str, limit: int) -> str:
    """Keep whole lines while they fit, close open <details>, say that the rest was cut."""
    tail = f"\n\n{_CUT_NOTE}\n\n{FOOTER}\n"
    kept: list[str] = []
    size = opened = 0
    for line in body.split("\n"):
        now_open = opened + line.count("<details>") - line.count("</details>")
        if size + len(line) + 1 + now_open * len(_CLOSE_DETAILS) + len(tail) > limit:
            break
        kept.append(line)
        size += len(line) + 1
        opened = now_open
    return "\n".join(kept).rstrip("\n") + _CLOSE_DETAILS * opened + tail


def _more(hidden: int, noun: str) -> list[str]:
    return ["", f"… and {plural(hidden, 'more ' + noun)}"] if hidden > 0 else []


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%".replace(".0%", "%")
