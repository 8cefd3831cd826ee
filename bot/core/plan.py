"""Issue body Markdown -> Plan: phases, checklist items, tracked tests, stated figures.

Pure module: no I/O. The structure comes from markdown-it (headings, lists, tables, code);
small regular expressions only read the text of a node the parser already isolated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from bot.core import checklist
from bot.core.metrics import parse_rule, recognise, rule_in_comment, why_manual
from bot.core.metrics.base import Metric
from bot.core.testnames import TEST_NAME, is_test_name
from bot.errors import RuleError

_PHASE_HEADING = re.compile(
    r"^\W*(phase|milestone|stage|step|part|sprint|wave)\s+([0-9]+|[A-Za-z])\b\s*[:.)\-—–]*\s*(.*)$",
    re.I,
)
_PLAN_HEADING = re.compile(r"\b(plan|roadmap|steps|remediation|fix(?:es)?)\b", re.I)
_PRIORITY = re.compile(r"\b(?:priority|prio)\s*[:#]?\s*(\w+)|\b(P\d)\b", re.I)
_ESTIMATE = re.compile(
    r"~?\s*(\d+(?:\.\d+)?(?:\s*[-–]\s*\d+(?:\.\d+)?)?\s*"
    r"(?:hours?|hrs?|h|days?|d|weeks?|wks?|minutes?|mins?))\b",
    re.I,
)
_FILE = re.compile(
    r"[\w./-]*[\w-]+\.(?:py|pyi|js|jsx|mjs|ts|tsx|java|kt|go|rb|rs|cs|php|cpp|cc|c|h|hpp|"
    r"scala|swift|ya?ml|json|toml|sql|sh|ini|cfg)\b"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
_FRACTION_CLAIM = re.compile(r"\b(\d+)\s*/\s*(\d+)\b")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
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
    phases = _phase_headings(tokens, lines_total) or _numbered_plan(tokens, lines_total)
    items = tuple(
        _item(box, phases, (rule_overrides or {}).get(box.index))
        for box in checklist.find_checkboxes(body)
    )
    return Plan(
        phases=tuple(phases),
        items=items,
        tests=_tracked_tests(tokens),
        claims=_claims(tokens),
    )


def _item(box: checklist.Checkbox, phases: list[Phase], override: str | None) -> Item:
    rule_text = override or rule_in_comment(box.comment)
    metric: Metric | None
    rule_error = None
    if rule_text is not None:
        try:
            metric = parse_rule(rule_text)
        except RuleError as exc:
            rule_error = str(exc)
            metric = None  # a broken rule makes the item manual; the report says why
    else:
        metric = recognise(_HTML_COMMENT.sub("", box.text))
    phase = next((p.number for p in phases if p.line <= box.line < p.end_line), None)
    return Item(
        manual_reason=_manual_reason(box.text, metric, rule_text, rule_error),
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


def _phase_headings(tokens: list[Token], lines_total: int) -> list[Phase]:
    headings = [
        (int(token.tag[1]), tokens[i + 1].content, token.map[0] if token.map else 0)
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    matches = [_PHASE_HEADING.match(_plain(text)) for _, text, _ in headings]
    # Headings inside a phase ("#### Step 3" under "## Phase 1") are not phases of their own.
    top = min((h[0] for h, m in zip(headings, matches, strict=True) if m), default=0)
    phases: list[Phase] = []
    for position, (level, _, line) in enumerate(headings):
        match = matches[position]
        if match is None or level != top:
            continue
        end = next((ln for lv, _, ln in headings[position + 1 :] if lv <= level), lines_total)
        number = _phase_number(match.group(2))
        label = f"{match.group(1).title()} {match.group(2)}"
        phases.append(_phase(tokens, number, label, match.group(3), line, end))
    return phases


def _numbered_plan(tokens: list[Token], lines_total: int) -> list[Phase]:
    """Phases written as an ordered list under a "Plan" heading."""
    phases: list[Phase] = []
    in_plan = False
    plan_level = 0
    depth = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1])
            if in_plan and level <= plan_level:
                in_plan = False
            if not in_plan and _PLAN_HEADING.search(tokens[i + 1].content):
                in_plan, plan_level = True, level
        elif token.type in ("ordered_list_open", "bullet_list_open"):
            depth += 1
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            depth -= 1
        elif (
            in_plan
            and token.type == "list_item_open"
            and depth == 1
            and _enclosing_list(tokens, i) == "ordered_list_open"
        ):
            start, end = token.map or (0, lines_total)
            title = next((t.content for t in tokens[i:] if t.type == "inline"), "")
            if _TASK_TEXT.match(title):
                continue  # a checklist, not a plan
            number = int(token.info) if token.info.isdigit() else len(phases) + 1
            phases.append(_phase(tokens, number, f"{number}.", title.split("\n")[0], start, end))
    return phases


def _enclosing_list(tokens: list[Token], index: int) -> str:
    depth = 0
    for token in reversed(tokens[:index]):
        if token.type in ("ordered_list_close", "bullet_list_close"):
            depth += 1
        elif token.type in ("ordered_list_open", "bullet_list_open"):
            if depth == 0:
                return token.type
            depth -= 1
    return ""


def _phase(
    tokens: list[Token], number: int, label: str, heading: str, start: int, end: int
) -> Phase:
    title, priority, estimate = _split_heading(_plain(heading))
    section = [t for t in tokens if t.map is not None and start <= t.map[0] < end]
    code = _code_texts(section)
    text = " ".join(t.content for t in section if t.type in ("inline", "fence", "code_block"))
    files = _unique(f for chunk in [text, *code] for f in _FILE.findall(chunk))
    return Phase(
        number=number,
        label=label,
        title=title,
        priority=priority,
        estimate=estimate,
        files=files,
        tests=_unique(name for name in _candidates(section) if is_test_name(name)),
        identifiers=_unique(
            ident
            for chunk in code
            for ident in _IDENTIFIER.findall(chunk)
            if "_" in ident.strip("_") or re.search(r"[a-z][A-Z]", ident)
        ),
        text=_plain(text),
        line=start,
        end_line=end,
    )


def _split_heading(text: str) -> tuple[str, str | None, str | None]:
    """ "Core API Fixes (Priority 1 - 2-4 hours)" -> title, priority "1", estimate "2-4 hours"."""
    priority_match = _PRIORITY.search(text)
    estimate_match = _ESTIMATE.search(text)
    priority = (priority_match.group(1) or priority_match.group(2)) if priority_match else None
    estimate = estimate_match.group(1).strip() if estimate_match else None
    title = text
    parenthetical = re.search(r"\s*\(([^()]*)\)\s*$", text)
    if parenthetical and (priority or estimate):
        title = text[: parenthetical.start()]
    return title.strip(" -—–:"), priority, estimate


def _phase_number(raw: str) -> int:
    return int(raw) if raw.isdigit() else _LETTERS.index(raw.lower()) + 1


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
    return text.replace("**", "").replace("__", "").replace("`", "").strip()


def _unique(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
