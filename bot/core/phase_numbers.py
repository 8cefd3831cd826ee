"""How plans write phase numbers, and the numbers people use for phases in commands.

Pure: no I/O. "Phase II", "阶段一", "Step B" and "P0" are phases 2, 1, 2 and 1; "Phase 1.5"
and a second "Phase 4" keep their labels and take numbers after the whole ones.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.phases import PhaseSpan

CJK_NUMERALS = "一二三四五六七八九十"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
WORD_NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def ordinal(raw: str, position: int, family: str) -> int:
    """Phase numbers people use in commands: 1, 2, 3 for "A", "II", "二"; tiers count up."""
    if family in ("priority", "horizon") and not raw.isdigit():
        return position
    if raw.isdigit():
        return int(raw)
    if re.fullmatch(r"\d+\.\d+|\d+[A-Za-z]", raw):
        return int(re.sub(r"[A-Za-z]", "", raw).split(".")[0])  # renumbered (`renumber`)
    if re.fullmatch(r"[A-Z]\d+", raw):
        return int(raw[1:])
    if raw in CJK_NUMERALS:
        return CJK_NUMERALS.index(raw) + 1
    if raw.upper() in ROMAN and (len(raw) > 1 or raw.upper() in ("I", "V", "X")):
        return ROMAN.index(raw.upper()) + 1
    if raw.lower() in WORD_NUMBERS:
        return WORD_NUMBERS.index(raw.lower()) + 1
    return ord(raw.lower()) - ord("a") + 1 if len(raw) == 1 and raw.isalpha() else position


def renumber(phases: list[PhaseSpan]) -> list[PhaseSpan]:
    """Unique numbers for commands: "Phase 1.5", "Phase 5A" and a second "Phase 4" keep their
    labels and take numbers after the whole ones."""
    taken: set[int] = set()
    whole = {p.number for p in phases if re.fullmatch(r"\D*\d+\.?", p.label)}
    spare = max(whole, default=0)
    numbered = []
    for phase in phases:
        if phase.number in taken or not re.fullmatch(r"\D*\d+\.?", phase.label):
            spare += 1
            phase = replace(phase, number=spare)
        taken.add(phase.number)
        numbered.append(phase)
    return numbered
