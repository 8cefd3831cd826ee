"""The headings of an issue body and the kinds of section they open. Pure: no I/O.

A plan's phases are found among its headings (`bot.core.phases`); which sections hold a
plan, report where the work started or what is done, or state criteria decides which
headings are phases and which checklists are goals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from bot.core.testnames import is_test_name, without_emphasis

PLAN_HEADING = re.compile(
    r"\b(plan|roadmap|steps|remediation|fix(?:es)?|action items?|implementation|tasks|"
    r"plano|план|plan de acción)\b|计划|方案|계획",
    re.I,
)
# "Fixes Applied (This Session)": a report of what was done, not a plan.
DONE = re.compile(
    r"\b(?:applied|completed|done|history|log|changelog|implemented)\b|完了した|已完成|완료된",
    re.I,
)
# A numbered outline of the whole document is not a plan: these are its usual sections.
OUTLINE_WORDS = re.compile(
    r"\b(summary|overview|background|analysis|results?|appendix|conclusion|introduction|"
    r"context|references|root causes?|findings)\b",
    re.I,
)
CRITERIA_WORDS = re.compile(
    r"criteri|success|done|complet|checklist|validat|verif|exit|acceptance|metric|gate|"
    r"results?\b|risks?\b|notes?\b|summary|status|progress|outcome|findings|lessons|"
    r"критери|critério|criterio|critère|succès|完成|标准|기준",
    re.I,
)
# Sections that say where the work began, not what it must reach: their checklists are no
# goals, and phases they list again ("Phase 1 ✅ done") are not the plan's.
STARTING_STATE = re.compile(
    r"\b(?:current (?:state|status)|before (?:starting|you start)|prerequisites?|baseline|"
    r"starting point|status quo|as[- ]is)\b|estado atual|estado actual|текущее состояние|"
    r"现状|当前状态|현재 상태|現状|現在の状況|現在の状態|현재 상황",
    re.I,
)
# "Current status and next steps": a title over the plan, not a report of the start.
_AND_NEXT = re.compile(
    r"\b(?:next|plan|roadmap|remaining|to do|todo)\b|"
    r"今後|次の|计划|下一步|다음|próximos|siguientes",
    re.I,
)


def starting_state(heading: Heading) -> bool:
    """Whether a heading opens a section about where the work started."""
    return STARTING_STATE.search(heading.text) is not None and not _AND_NEXT.search(heading.text)


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of the body: level, text without markup, first line, and where it ends."""

    level: int
    text: str
    line: int
    end: int  # the line of the next heading at this level or above, or the body's end


def headings(tokens: Sequence[Token], lines_total: int) -> list[Heading]:
    """Every heading in order, with its plain text and the lines it spans."""
    found = [
        (int(token.tag[1]), plain(tokens[i + 1].content), token.map[0] if token.map else 0)
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    ]
    return [
        Heading(
            level,
            text,
            line,
            next((ln for lv, _, ln in found[position + 1 :] if lv <= level), lines_total),
        )
        for position, (level, text, line) in enumerate(found)
    ]


def ancestors(heading: Heading, all_headings: Sequence[Heading]) -> list[Heading]:
    """The headings whose sections hold this one, innermost first."""
    return [
        h
        for h in reversed(all_headings)
        if h.line < heading.line < h.end and h.level < heading.level
    ]


def plain(text: str) -> str:
    """Heading or item text without emphasis and code markers."""
    return without_emphasis(text).replace("`", "").strip()


def starts_with_test(title: str) -> bool:
    """Whether a heading or list item's text begins with a test's name (a file, not a plan)."""
    first = plain(title).strip().split(maxsplit=1)
    return bool(first) and is_test_name(first[0].strip("*_:,"))


def parent_of(heading: Heading, all_headings: Sequence[Heading]) -> Heading | None:
    return next(
        (h for h in reversed(all_headings) if h.line < heading.line and h.level < heading.level),
        None,
    )
