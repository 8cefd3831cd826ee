"""Which of a body's phase-like headings belong to its plan. Pure: no I/O.

A heading that reads like a phase ("Phase 1: ...", "Task 2", "Day 3") is a candidate; these
filters set aside the ones that are not the plan's: phases a "Completed work" section
retells, a "Phase 3 (Stretch)" only the criteria name, a document's title, and steps inside
one issue's section while another family lays out the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.core.sections import CRITERIA_WORDS, DONE, PLAN_HEADING, Heading, ancestors, starting_state


@dataclass(frozen=True, slots=True)
class Candidate:
    """A heading that reads like a phase: its family ("phase", "step", ...), number, rest."""

    family: str
    word: str
    raw_number: str
    heading: Heading
    rest: str


def _holds_all(heading: Heading, candidates: Sequence[Candidate]) -> bool:
    """Whether a heading's section holds every candidate: a title over the whole plan
    ("Current status and next steps"), not a section beside it."""
    return all(heading.line < c.heading.line < heading.end for c in candidates)


def without_retold(candidates: list[Candidate], all_headings: Sequence[Heading]) -> list[Candidate]:
    """Phases a "Current status" or "Completed work" section lists, when the plan numbers
    some of them again elsewhere: the plan is told there, the section reports the past."""

    past = {
        id(c)
        for c in candidates
        if any(
            (starting_state(h) or DONE.search(h.text)) and not _holds_all(h, candidates)
            for h in ancestors(c.heading, all_headings)
        )
    }
    told = {(c.family, c.raw_number.lower()) for c in candidates if id(c) not in past}
    retold = {
        c.family for c in candidates if id(c) in past and (c.family, c.raw_number.lower()) in told
    }
    return [c for c in candidates if id(c) not in past or c.family not in retold]


def without_criteria_only(
    candidates: list[Candidate], all_headings: Sequence[Heading]
) -> list[Candidate]:
    """A "Phase 3 (Stretch)" that only a success-criteria section names is a level of
    ambition, not a phase, when the plan lays out its phases elsewhere."""

    def in_criteria(c: Candidate) -> bool:
        return any(
            CRITERIA_WORDS.search(h.text) and not _holds_all(h, candidates)
            for h in ancestors(c.heading, all_headings)
        )

    outside = {(c.family, c.raw_number.lower()) for c in candidates if not in_criteria(c)}
    laid_out = [family for family, _ in outside]
    families = {family for family in laid_out if laid_out.count(family) >= 2}
    return [
        c
        for c in candidates
        if c.family not in families or (c.family, c.raw_number.lower()) in outside
    ]


def within_one_section(
    family: str, candidates: Sequence[Candidate], all_headings: Sequence[Heading]
) -> bool:
    """Whether a family's headings all sit in one section no shallower than another
    family's headings: "#### Phase 1" to "#### Phase 4" under "### Issue #4" are that
    issue's steps when "### Day 1" to "### Day 5" lay out the plan."""
    own = [c for c in candidates if c.family == family]
    others = [c for c in candidates if c.family != family]
    if not own or len({c.raw_number.lower() for c in others}) < 2:
        return False
    shallowest_other = min(c.heading.level for c in others)
    if shallowest_other >= min(c.heading.level for c in own):
        return False
    return any(
        h.level >= shallowest_other
        and not PLAN_HEADING.search(h.text)  # "## Implementation Order": the plan itself
        and all(h.line < c.heading.line < h.end for c in own)
        for h in ancestors(own[0].heading, all_headings)
    )


def with_strays(chosen: list[Candidate], top: int) -> list[Candidate]:
    """The plan's level, with a phase of a number of its own written deeper outside every
    other phase ("### TIER 9.1" before "## TIER 9.2" to "## TIER 9.11"), lifted to it."""
    phases = [c for c in chosen if c.heading.level == top]
    numbers = {p.raw_number.lower() for p in phases}
    strays = [
        c
        for c in chosen
        if c.heading.level > top
        and c.raw_number.lower() not in numbers
        and not any(p.heading.line < c.heading.line < p.heading.end for p in phases)
    ]
    return [
        replace(c, heading=replace(c.heading, level=top)) if c in strays else c
        for c in chosen
        if c.heading.level == top or c in strays
    ]


def without_title(candidates: list[Candidate]) -> list[Candidate]:
    """ "# STAGE 1: IMMEDIATE STABILIZATION" or "# Phase 22.2 - Timing Fixes" over "### Task
    1" to "### Task 5": a level-1 heading holding every other candidate titles the document."""
    titles = [c for c in candidates if c.heading.level == 1]
    if len(titles) != 1:
        return candidates
    title = titles[0]
    others = [c for c in candidates if c is not title]
    if len(others) < 2 or not _holds_all(title.heading, others):
        return candidates
    # "## PHASE 9 TIER BREAKDOWN" under "# Phase 9: ...": the title said again
    return [c for c in others if (c.family, c.raw_number) != (title.family, title.raw_number)]
