"""Issue body Markdown -> Plan: phases, checklist items, tracked tests, stated figures.

Pure module: no I/O. The structure comes from markdown-it (headings, lists, tables, code);
small regular expressions only read the text of a node the parser already isolated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from bot.core import checklist, phase_lists, sections
from bot.core import phases as phase_layout
from bot.core.items import Layout, children_of, read_item
from bot.core.metrics import parse_rule, rule_in_comment, why_manual
from bot.core.metrics.base import Metric
from bot.core.testnames import TEST_NAME, is_test_name, without_emphasis
from bot.errors import RuleError

_PRIORITY = re.compile(r"\b(?:priority|prio)\s*[:#]?\s*(\w+)|\b(P\d)\b", re.I)
_ESTIMATE = re.compile(
    r"~?\s*(\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?\s*"
    r"(?:hours?|hrs?|h|days?|d|weeks?|wks?|minutes?|mins?))\b",
    re.I,
)
_DAY = re.compile(r"\b((?:day|week|sprint)\s*\d+(?:\s*[-–]\s*\d+)?)\b", re.I)
_WHEN = re.compile(
    r"\b(?:immediate\w*|today|tomorrow|same day|this week|next week|asap|urgent|later)\b", re.I
)
_TIMER = re.compile(r"\s*[⏱⏰⌛⏳]\ufe0f?")
_TRAILING_MARKS = re.compile(r"[\s\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff\ufe0f]+$")
_FILE = re.compile(
    r"[\w./-]*[\w-]+\.(?:py|pyi|js|jsx|mjs|ts|tsx|java|kt|go|rb|rs|cs|php|cpp|cc|c|h|hpp|"
    r"scala|swift|ya?ml|json|toml|sql|sh|ini|cfg)\b"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_FRACTION_CLAIM = re.compile(r"\b(\d+)\s*/\s*(\d+)\b")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TASK_TEXT = re.compile(r"^\s*\[[ xX]\](?:\s|$)")


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase of the plan and what it names."""

    number: int
    label: str
    title: str
    priority: str | None = None
    estimate: str | None = None
    files: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    text: str = ""
    line: int = 0
    end_line: int = 0
    sections: tuple[tuple[int, int], ...] = ()  # later headings of its own ("Phase 1 criteria")

    def as_dict(self) -> dict[str, Any]:
        """The phase object of `plan --json`."""
        return {
            "number": self.number,
            "label": self.label,
            "title": self.title,
            "priority": self.priority,
            "estimate": self.estimate,
            "files": list(self.files),
            "tests": list(self.tests),
            "identifiers": list(self.identifiers),
            "line": self.line,
        }


@dataclass(frozen=True, slots=True)
class Item:
    """A checklist item: where it is, what it says, and the metric it carries if any."""

    index: int
    text: str
    checked: bool
    line: int
    offset: int
    phase: int | None = None
    metric: Metric | None = None
    rule: str | None = None
    rule_error: str | None = None
    manual_reason: str | None = None  # why a run cannot prove it (None when it can)

    def as_dict(self) -> dict[str, Any]:
        """The item object of `plan --json`."""
        return {
            "index": self.index,
            "text": self.text,
            "checked": self.checked,
            "line": self.line,
            "offset": self.offset,
            "phase": self.phase,
            "metric": self.metric.as_dict() if self.metric else None,
            "rule": self.rule,
            "rule_error": self.rule_error,
            "manual_reason": self.manual_reason,
        }


@dataclass(frozen=True, slots=True)
class Claim:
    """A figure the issue states, e.g. "6/12 passing" or a table row's "1/4"."""

    passed: int
    total: int
    text: str
    subject: str | None = None  # the test file a table row is about; None for the whole run


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the bot understands of one issue body."""

    phases: tuple[Phase, ...] = ()
    items: tuple[Item, ...] = ()
    tests: tuple[str, ...] = ()
    claims: tuple[Claim, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """The `plan --json` contract."""
        return {
            "phases": [phase.as_dict() for phase in self.phases],
            "items": [item.as_dict() for item in self.items],
            "tests": list(self.tests),
            "claims": [
                {"passed": c.passed, "total": c.total, "subject": c.subject, "text": c.text}
                for c in self.claims
            ],
        }

    @property
    def metrics(self) -> tuple[Item, ...]:
        """The items a run can prove."""
        return tuple(item for item in self.items if item.metric is not None)


_MD = checklist.guarded_parser()


def parse(body: str, *, rule_overrides: dict[int, str] | None = None) -> Plan:
    """Read a plan from an issue body; `rule_overrides` maps item index -> explicit rule."""
    tokens = _MD.parse(body)
    lines_total = body.count("\n") + 1
    all_headings = sections.headings(tokens, lines_total)
    spans = phase_layout.find(all_headings)
    if len(spans) < 2:  # a lone heading phase, or none: bold labels may hold the plan
        bold = phase_layout.find(phase_lists.bold_headings(tokens, all_headings, lines_total))
        spans = bold if len(bold) >= 2 else spans
    spans = spans or phase_lists.from_list(tokens, all_headings)
    phases = [_phase(tokens, span) for span in spans]
    boxes = checklist.find_checkboxes(body)
    layout = Layout(spans, all_headings, _tracked_tests(tokens), children_of(boxes))
    items = tuple(_item(box, layout, (rule_overrides or {}).get(box.index)) for box in boxes)
    return Plan(phases=tuple(phases), items=items, tests=layout.tracked, claims=_claims(tokens))


def _item(box: checklist.Checkbox, layout: Layout, override: str | None) -> Item:
    rule_text = override or rule_in_comment(box.comment)
    metric: Metric | None
    rule_error = reason = None
    if rule_text is not None:
        try:
            metric = parse_rule(rule_text)
        except RuleError as exc:
            rule_error = str(exc)
            metric = None  # a broken rule makes the item manual; the report says why
    else:
        metric, reason = read_item(box, layout)
    phase = phase_layout.phase_of(box.line, layout.spans)
    return Item(
        manual_reason=reason or _manual_reason(box.text, metric, rule_text, rule_error),
        index=box.index,
        text=box.text,
        checked=box.checked,
        line=box.line,
        offset=box.offset,
        phase=phase,
        metric=metric,
        rule=rule_text,
        rule_error=rule_error,
    )


def _manual_reason(
    text: str, metric: Metric | None, rule: str | None, rule_error: str | None
) -> str | None:
    if metric is not None:
        return None
    if rule_error is not None:
        return f"its rule is broken: {rule_error}"
    if rule is not None:
        return "a rule says it is manual"
    return why_manual(_HTML_COMMENT.sub("", text))


def _phase(tokens: list[Token], span: phase_layout.PhaseSpan) -> Phase:
    title, priority, estimate = _split_heading(span.title)
    priority = priority or (span.label if re.fullmatch(r"P[0-4]", span.label) else None)
    ranges = ((span.line, span.end), *span.sections)
    section = [t for t in tokens if t.map is not None and any(a <= t.map[0] < b for a, b in ranges)]
    code = _code_texts(section)
    text = " ".join(t.content for t in section if t.type in ("inline", "fence", "code_block"))
    files = _unique(f for chunk in [text, *code] for f in _FILE.findall(chunk))
    return Phase(
        number=span.number,
        label=span.label,
        title=title,
        priority=priority,
        estimate=estimate,
        files=files,
        tests=_unique(name for name in _candidates(section) if _names_a_test(name)),
        identifiers=_unique(
            ident
            for chunk in code
            for ident in _IDENTIFIER.findall(chunk)
            if "_" in ident.strip("_") or re.search(r"[a-z][A-Z]", ident)
        ),
        text=_plain(text),
        line=span.line,
        end_line=span.end,
        sections=span.sections,
    )


def _names_a_test(name: str) -> bool:
    """A test file, class or id; in a phase also any `owner::name` id, as the bot writes them
    (`src/login.spec.ts::renders title`, `::A` for a test the runner gave no owner)."""
    _, separator, test = name.partition("::")
    return is_test_name(name) or bool(separator and test.strip())


def _split_heading(text: str) -> tuple[str, str | None, str | None]:
    """ "Core API Fixes (Priority 1 - 2-4 hours)" -> title, priority "1", estimate "2-4 hours".

    Estimates also come as "(Day 1)", "*(Immediate - 30 minutes)*" or "⏱️ 1-2 hours"; they
    and trailing status marks ("✅") are cut from the title.
    """
    text = _TIMER.split(text)[0]
    leading = re.match(r"^\s*\*?\(([^()]*)\)\*?\s*[:—–-]?\s*(?=\S)", text)
    if leading and (_DAY.search(leading.group(1)) or _ESTIMATE.search(leading.group(1))):
        text = f"{text[leading.end() :]} ({leading.group(1)})"  # "(Week 1): Quick wins"
    priority_match = _PRIORITY.search(text)
    estimate_match = _ESTIMATE.search(text) or _DAY.search(text)
    priority = (priority_match.group(1) or priority_match.group(2)) if priority_match else None
    estimate = estimate_match.group(1).strip() if estimate_match else None
    title = _TRAILING_MARKS.sub("", text)
    parenthetical = re.search(r"\s*\*?\(([^()]*)\)\*?\s*$", title)
    if parenthetical and (priority or estimate or _WHEN.search(parenthetical.group(1))):
        title = title[: parenthetical.start()]
    return _TRAILING_MARKS.sub("", title).strip(" -—–:*_"), priority, estimate


def _code_texts(tokens: list[Token]) -> list[str]:
    spans = [
        child.content
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "code_inline"
    ]
    return spans + [t.content for t in tokens if t.type in ("fence", "code_block")]


def _candidates(tokens: list[Token]) -> list[str]:
    """Code spans and words of inline text: where test files and ids get named."""
    found: list[str] = []
    for token in tokens:
        if token.type != "inline":
            continue
        for child in token.children or []:
            if child.type == "code_inline":
                found.append(child.content.strip())
            elif child.type == "text":
                found.extend(m.group(0) for m in TEST_NAME.finditer(child.content))
    return found


def _tracked_tests(tokens: list[Token]) -> tuple[str, ...]:
    """Test names the issue mentions; `FooTest` is dropped when `com.acme.FooTest` is named."""
    names = _unique(name for name in _candidates(tokens) if is_test_name(name))
    return tuple(
        name
        for name in names
        if not any(other != name and other.endswith(("." + name, "/" + name)) for other in names)
    )


def _claims(tokens: list[Token]) -> tuple[Claim, ...]:
    """Figures stated in table rows and prose; headings and checklist items are goals."""
    claims: list[Claim] = []
    row: list[str] = []
    in_cell = in_heading = False
    for token in tokens:
        if token.type == "tr_open":
            row = []
        elif token.type in ("td_open", "th_open", "td_close", "th_close"):
            in_cell = token.type.endswith("_open")
        elif token.type in ("heading_open", "heading_close"):
            in_heading = token.type == "heading_open"
        elif token.type == "tr_close":
            claims.extend(_row_claim(row))
        elif token.type == "inline" and in_cell:
            row.append(token.content)
        elif token.type == "inline" and not in_heading and not _TASK_TEXT.match(token.content):
            claims.extend(_prose_claims(token.content))
    return tuple(claims)


def _row_claim(cells: list[str]) -> list[Claim]:
    subject = next((c.strip("` ") for c in cells if is_test_name(c.strip("` "))), None)
    if subject is None:
        return []
    for cell in cells:
        fraction = _FRACTION_CLAIM.search(cell)
        if fraction:
            return [
                Claim(int(fraction.group(1)), int(fraction.group(2)), " | ".join(cells), subject)
            ]
    return []


def _prose_claims(text: str) -> list[Claim]:
    claims = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        lowered = sentence.lower()
        if not re.search(r"\bpass(?:ing|ed)?\b", lowered):
            continue
        if re.search(r"\b(expect\w*|target\w*|goal|should|will|after)\b", lowered):
            continue  # a hope, not a statement about the results
        fraction = _FRACTION_CLAIM.search(sentence)
        if fraction:
            passed, total = int(fraction.group(1)), int(fraction.group(2))
            claims.append(Claim(passed, total, _plain(sentence).strip()))
    return claims


def _plain(text: str) -> str:
    return without_emphasis(text).replace("`", "").strip()


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
