"""Phases where no heading holds them: bold labels, boxed headings, numbered lists. Pure: no I/O.

Plans without phase headings still have phases: paragraphs that open with a bold label
("**TASK-001** ..."), checklist items written as headings ("- [x] ### Phase 1 — ..."), or
the numbered list right under a plan heading ("## Fix plan", "1. Repair the imports"). A
numbered list in an executive summary, a checklist, or a list of test files is not a plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it.token import Token

from bot.core.phases import KEYWORD_FIRST, LEADING_NOISE, PhaseSpan
from bot.core.sections import PLAN_HEADING, Heading, plain, starts_with_test


def bold_headings(
    tokens: Sequence[Token], all_headings: Sequence[Heading], lines_total: int
) -> list[Heading]:
    """Paragraphs that open with a bold phase label ("**TASK-001** ...", "**Phase 1: ...**"),
    and checklist items written as headings ("- [x] ### Phase 1 — ..."): the headings of plans
    that use none, each up to the next one or the next real heading."""
    found: list[tuple[str, int]] = []
    depth = 0
    for i, token in enumerate(tokens):
        if token.type.endswith("_open") and token.type.split("_")[0] in _CONTAINERS:
            depth += 1
        elif token.type.endswith("_close") and token.type.split("_")[0] in _CONTAINERS:
            depth -= 1
        elif token.type == "paragraph_open" and token.map:
            content = tokens[i + 1].content
            boxed = _BOXED_HEADING.match(content)  # "- [x] ### Phase 1 — ...": a ticked phase
            line = plain((boxed.group(1) if boxed else content).split("\n", 1)[0])
            bold = depth == 0 and content.startswith("**")
            if (bold or boxed) and KEYWORD_FIRST.match(LEADING_NOISE.sub("", line)):
                found.append((line, token.map[0]))
    starts = sorted({h.line for h in all_headings} | {ln for _, ln in found} | {lines_total})
    return [Heading(7, text, ln, next(s for s in starts if s > ln)) for text, ln in found]


_CONTAINERS = frozenset({"bullet", "ordered", "blockquote", "table"})
_BOXED_HEADING = re.compile(r"^\[[ xX]\]\s+#{1,6}\s+(.*)", re.S)


def from_list(tokens: Sequence[Token], all_headings: Sequence[Heading]) -> list[PhaseSpan]:
    """Phases written as the first ordered list right under a plan heading.

    Only a list the plan heading itself holds counts (not one under a sub-heading), and not
    under the document's title: a numbered list in an executive summary is not a plan.
    """
    plans = [h for h in all_headings if PLAN_HEADING.search(h.text) and h.level > 1]
    for plan_heading in plans:
        inner = next(
            (h.line for h in all_headings if plan_heading.line < h.line < plan_heading.end),
            plan_heading.end,
        )
        spans = _list_items(tokens, plan_heading.line, inner)
        if len(spans) >= 2:
            return spans
    return []


def _list_items(tokens: Sequence[Token], start: int, end: int) -> list[PhaseSpan]:
    """The items of the first top-level ordered list between two lines, unless a checklist."""
    spans: list[PhaseSpan] = []
    depth = 0
    in_first = False
    for i, token in enumerate(tokens):
        line = token.map[0] if token.map else -1
        if token.type in ("ordered_list_open", "bullet_list_open"):
            if (
                depth == 0
                and token.type == "ordered_list_open"
                and start < line < end
                and not spans
            ):
                in_first = True
            depth += 1
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            depth -= 1
            if depth == 0 and in_first:
                return spans
        elif in_first and depth == 1 and token.type == "list_item_open" and token.map:
            title = next((t.content for t in tokens[i:] if t.type == "inline"), "")
            if re.match(r"^\s*\[[ xX]\](?:\s|$)", title) or starts_with_test(title):
                return []  # a checklist or a list of test files, not a plan
            number = int(token.info) if token.info.isdigit() else len(spans) + 1
            first, last = token.map
            spans.append(PhaseSpan(number, f"{number}.", plain(title.split("\n")[0]), first, last))
    return spans
