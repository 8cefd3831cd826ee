"""Which headings of an issue body are its plan's phases. Pure: no I/O.

Real plans name their phases in many ways: "## Phase 1: ...", "## PHASE 1", "## 🚨 Phase 1",
"### **STEP 1: ... (P0 - 30 min)**", "### Task 2 -", "## P0 IMMEDIATE FIXES", "### FASE 1",
"## Этап 2", "### 阶段一", "## 1단계", or numbered headings under a plan heading
("### 1. Production code audit"). Only one family of them is the plan: the shallowest one
(phases hold steps, not the other way round), and only its top level ("#### Step 3" under
"## Phase 1" is part of phase 1). A later heading that repeats a phase's number ("Phase 1
Success Criteria", "Phase 2 Complete ✅") is that phase's own section, not a new phase.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.phase_candidates import (
    Candidate,
    with_strays,
    within_one_section,
    without_criteria_only,
    without_retold,
    without_title,
)
from bot.core.phase_numbers import CJK_NUMERALS, ROMAN, WORD_NUMBERS, ordinal, renumber
from bot.core.sections import (
    CRITERIA_WORDS,
    DONE,
    OUTLINE_WORDS,
    PLAN_HEADING,
    Heading,
    parent_of,
    starts_with_test,
)

# Phase words by family, in the languages real plans use; earlier families win ties.
_FAMILIES: dict[str, str] = {
    "phase": r"phase|fase|фаза|этап|étape|etapa|stage|стадия|milestone|wave|"
    r"阶段|階段|단계|フェーズ|段階",
    "step": r"step|paso|passo|schritt|шаг|步骤|ステップ",
    "task": r"task|feature|group|fix|tarefa|tarea|задача|任务",
    "priority": r"priority|priorité|tier|prioridade|prioridad|приоритет|优先级|優先度|우선순위|"
    r"p(?=[0-4]\b)",
    "sprint": r"sprint|week|semana|неделя|day|dia|día|день",
    # "Part 1: Validation of Audit Findings": often the document's outline, so phases win
    "part": r"part|parte|часть",
    # "### Issue #7: Restore coverage gate": tracking issues laid out as the plan's steps
    "issue": r"issue(?=\s*#)|ticket(?=\s*#)",
}
_RANK = {family: rank for rank, family in enumerate([*_FAMILIES, "horizon", "numbered"])}
# "### Immediate (Next 30-60 Minutes)", "### Short-Term", "### This Session": time horizons.
_HORIZON = re.compile(
    r"^(?P<number>immediate|short[- ]term|medium[- ]term|mid[- ]term|long[- ]term|"
    r"this (?:session|week|sprint|iteration)|next (?:week|sprint|session)|today|tomorrow)\b"
    r"\W*(?P<rest>.*)$",
    re.I,
)
_FIRSTS = frozenset({"1", "a", "i", "one", "一", "p0", "p1"})
_NUMBER = (
    r"(?:\d+(?:\.\d+)?[A-Za-z]?(?![\w.])|\d+(?:\.\d+)?(?!\d)|[A-Z]\d+(?!\w)|[A-Za-z](?![A-Za-z])|"
    + "|".join(ROMAN[::-1])
    + r"(?![A-Za-z])|"
    + "|".join(WORD_NUMBERS)
    + rf"|[{CJK_NUMERALS}])"
)
_SEPARATOR = r"(?:\s*[:.)\-—–|：．、）]+\s*|\s+|$)"
KEYWORD_FIRST = re.compile(
    rf"^(?P<word>{'|'.join(_FAMILIES.values())})(?:\s+[A-Za-z]+(?=\s*#))?\s*[-#]?\s*"
    rf"(?P<number>{_NUMBER})\+?{_SEPARATOR}"
    r"(?P<rest>.*)$",
    re.I,
)
# "1단계", "第一阶段", "第2步": the number comes first in Korean, Chinese and Japanese.
_NUMBER_FIRST = re.compile(
    rf"^第?\s*(?P<number>\d+|[{CJK_NUMERALS}])\s*(?P<word>阶段|階段|단계|段階|步|步骤|フェーズ)"
    rf"{_SEPARATOR}(?P<rest>.*)$"
)
_NUMBERED = re.compile(r"^(?P<number>\d+)[.)]\s+(?P<rest>\S.*)$")
_PHASE_REFERENCE = re.compile(rf"(?:{_FAMILIES['phase']}|{_FAMILIES['step']})\s*(\d+)\b", re.I)
LEADING_NOISE = re.compile(r"^[\W_]+")
_SECTION_NUMBER = re.compile(
    rf"^\d+(?:\.\d+)+\.?\s+(?=(?:{'|'.join(_FAMILIES.values())})\s*[-#]?\s*\d)", re.I
)


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """A phase as the body lays it out; `sections` are later headings that belong to it."""

    number: int
    label: str
    title: str
    line: int
    end: int
    sections: tuple[tuple[int, int], ...] = ()


def find(all_headings: Sequence[Heading]) -> list[PhaseSpan]:
    """The plan's phases among the headings, each with the sections that belong to it."""
    candidates = [c for h in all_headings if (c := _candidate(h, all_headings)) is not None]
    candidates += _numbered_sequence(all_headings, {c.heading.line for c in candidates})
    candidates = without_retold(candidates, all_headings)
    candidates = without_criteria_only(candidates, all_headings)
    candidates = without_title(candidates)
    numbers = {f: {c.raw_number.lower() for c in candidates if c.family == f} for f in _RANK}
    # A lone "Phase 4" heading refers to some other plan's phase; a plan starts at its first,
    # or is one phase holding the steps below it.
    families = {
        f
        for f, found in numbers.items()
        if len(found) >= 2 or found & _FIRSTS or _holds_others(f, candidates)
    }
    if not families:
        return []
    family = min(
        families,
        key=lambda f: (
            # "Phase N" headings are the plan, wherever they sit, unless they are the steps
            # of one section while another family lays out the plan above them.
            f != "phase" or within_one_section(f, candidates, all_headings),
            min(c.heading.level for c in candidates if c.family == f),
            -len(numbers[f]),
            _RANK[f],
        ),
    )
    chosen = [c for c in candidates if c.family == family]
    top = _plan_level(chosen)
    chosen = with_strays(chosen, top)
    spans: dict[str, PhaseSpan] = {}
    highest = 0
    restarted = False  # "Phase 1" again after "Phase 5": the plan told a second time
    for candidate in (c for c in chosen if c.heading.level == top):
        key = candidate.raw_number.lower()
        heading = candidate.heading
        number = ordinal(candidate.raw_number, len(spans) + 1, family)
        first = next(iter(spans), None)
        restarted = restarted or (key == first and number < highest)
        highest = max(highest, number)
        if key in spans and (restarted or _restates(spans[key], candidate.rest)):
            # "Phase 1 Success Criteria" after "Phase 1: ...": that phase's own section
            spans[key] = _with_section(spans[key], heading)
            continue
        if key in spans:  # a second "Phase 4: <another title>": a phase of its own
            key = f"{key}@{heading.line}"
        spans[key] = PhaseSpan(
            number=number,
            label=_label(candidate),
            title=candidate.rest,
            line=heading.line,
            end=heading.end,
        )
    return _attach_criteria(renumber(list(spans.values())), all_headings)


def _restates(phase: PhaseSpan, rest: str) -> bool:
    """ "Phase 1 Success Criteria", "Phase 2 Complete ✅" or the same title again."""
    if not rest or CRITERIA_WORDS.search(rest):
        return True
    first, again = (re.sub(r"\W+", " ", t).lower().split() for t in (phase.title, rest))
    shorter = min(len(first), len(again))
    return shorter > 0 and first[:shorter] == again[:shorter]  # one title begins the other


def _holds_others(family: str, candidates: Sequence[Candidate]) -> bool:
    own = [c.heading for c in candidates if c.family == family and c.heading.level > 1]
    return any(
        h.line < c.heading.line < h.end and c.family != family for h in own for c in candidates
    )


def _numbered_sequence(all_headings: Sequence[Heading], taken: set[int]) -> list[Candidate]:
    """ "### 1. ..." to "### 5. ..." across the body at one level: a plan, unless an outline."""
    found: list[Candidate] = []
    for level in sorted({h.level for h in all_headings}):
        numbered = [
            (h, m)
            for h in all_headings
            if h.level == level and h.line not in taken and (m := _NUMBERED.match(h.text))
        ]
        numbers = [int(m.group("number")) for _, m in numbered]
        if len(numbers) >= 3 and numbers == list(range(1, len(numbers) + 1)):
            first = numbered[0][0]
            done = any(h.line < first.line and DONE.search(h.text) for h in all_headings[:1])
            parent = parent_of(first, all_headings)
            done = done or (parent is not None and DONE.search(parent.text) is not None)
            outline = any(
                OUTLINE_WORDS.search(h.text) or starts_with_test(m.group("rest"))
                for h, m in numbered
            )
            if not done and not outline:
                found += [
                    Candidate("numbered", "", m.group("number"), h, m.group("rest"))
                    for h, m in numbered
                ]
    return found


def _plan_level(chosen: Sequence[Candidate]) -> int:
    """The shallowest level holding two phases or more ("## Phase 2 Analysis Tasks" alone
    above "### Phase 1" to "### Phase 6" is a reference), else the shallowest."""
    levels = sorted({c.heading.level for c in chosen})
    for level in levels:
        if len({c.raw_number.lower() for c in chosen if c.heading.level == level}) >= 2:
            return level
    return levels[0]


def phase_of(line: int, phases: Sequence[PhaseSpan]) -> int | None:
    """The number of the phase a body line belongs to: its own sections first."""
    for phase in phases:
        if any(start <= line < end for start, end in phase.sections):
            return phase.number
    return next((p.number for p in phases if p.line <= line < p.end), None)


def _candidate(heading: Heading, all_headings: Sequence[Heading]) -> Candidate | None:
    text = LEADING_NOISE.sub("", heading.text).strip(" *_")
    text = _SECTION_NUMBER.sub("", text)  # "3.1 Phase 1: Critical Issues"
    for pattern in (KEYWORD_FIRST, _NUMBER_FIRST):
        match = pattern.match(text)
        if match is not None and not _bare_letter_word(match):
            word = match.group("word")
            family = next(
                (f for f, words in _FAMILIES.items() if re.fullmatch(words, word, re.I)),
                "priority",  # the bare "P" of "P0"
            )
            number = match.group("number")
            if family == "priority" and word.lower() == "p":
                number = f"P{number}"
            return Candidate(family, word, number, heading, match.group("rest"))
    horizon = _HORIZON.match(text)
    if horizon is not None:
        word = horizon.group("number")
        return Candidate("horizon", word, word, heading, horizon.group("rest"))
    numbered = _NUMBERED.match(text)
    if (
        numbered is not None
        and _under_plan(heading, all_headings)
        and not starts_with_test(numbered.group("rest"))
    ):
        return Candidate("numbered", "", numbered.group("number"), heading, numbered.group("rest"))
    return None


def _bare_letter_word(match: re.Match[str]) -> bool:
    """ "Part a new approach": a single letter is a number only before a separator."""
    number = match.group("number")
    if len(number) != 1 or not (number.isascii() and number.isalpha()):
        return False
    if not match.string[match.start("number") - 1].isspace():
        return True  # "Steps" is no "Step s"
    if number.upper() in ("I", "V", "X"):
        return False
    return re.match(r"\s*(?:[:.)\-—–|：]|$)", match.string[match.end("number") :]) is None


def _under_plan(heading: Heading, all_headings: Sequence[Heading]) -> bool:
    """A numbered heading is a phase when its parent heading is a plan, not a document."""
    parent = parent_of(heading, all_headings)
    if parent is None or not PLAN_HEADING.search(parent.text) or DONE.search(parent.text):
        return False
    siblings = [
        h
        for h in all_headings
        if h.level == heading.level
        and parent.line < h.line < parent.end
        and _NUMBERED.match(h.text)
    ]
    return not any(OUTLINE_WORDS.search(h.text) for h in siblings)


def _with_section(phase: PhaseSpan, heading: Heading) -> PhaseSpan:
    return PhaseSpan(
        phase.number,
        phase.label,
        phase.title,
        phase.line,
        phase.end,
        (*phase.sections, (heading.line, heading.end)),
    )


def _attach_criteria(phases: list[PhaseSpan], all_headings: Sequence[Heading]) -> list[PhaseSpan]:
    """ "Phase 2 Success Criteria" elsewhere in the body, at any level: phase 2's own section."""
    by_number = {p.number: i for i, p in enumerate(phases)}
    used = {p.line for p in phases} | {start for p in phases for start, _ in p.sections}
    for heading in all_headings:
        if heading.line in used or not CRITERIA_WORDS.search(heading.text):
            continue
        match = _PHASE_REFERENCE.search(heading.text)
        if match is None or int(match.group(1)) not in by_number:
            continue
        position = by_number[int(match.group(1))]
        phase = phases[position]
        if not phase.line <= heading.line < phase.end:
            phases[position] = _with_section(phase, heading)
    return phases


def _label(candidate: Candidate) -> str:
    if candidate.family == "horizon":
        return candidate.word.title()
    if candidate.family == "numbered":
        return f"{candidate.raw_number}."
    if candidate.raw_number.startswith("P") and candidate.word.lower() == "p":
        return candidate.raw_number
    word = candidate.word if not candidate.word.isascii() else candidate.word.title()
    return f"{word} {candidate.raw_number}"
