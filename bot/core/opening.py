"""Whether a red run deserves an issue of its own, and who owns it. Pure: no I/O.

With `open_issues: true`, a default-branch run whose failures no open tracked issue covers
gets one drafted issue (`bot.core.draft`). An issue covers a failure signature when the bot
opened it for that signature, or when the failure maps to a phase of its plan. Never two
issues for one signature while one is open, at most one per run, a cap per day, and never
for a fork's run. The issue goes to the owners of the failing files in `CODEOWNERS`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.draft_facts import FAILING, owner_of
from bot.core.evaluate import RunInput
from bot.core.mapping import PhaseIndex, place, signature
from bot.core.plan import Plan

# Where GitHub looks for CODEOWNERS, in its order (the first found is the one used).
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
_LOGIN = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))$")


@dataclass(frozen=True, slots=True)
class Opening:
    """The issue to open: the failures it is about, and what they share."""

    run: RunInput  # the run without the failures other issues cover
    signatures: tuple[str, ...]
    paths: tuple[str, ...]  # the failing tests' files, for CODEOWNERS


def decide(
    run: RunInput,
    *,
    covered: Iterable[str],
    opened_today: int,
    per_day: int,
    from_fork: bool,
) -> tuple[Opening | None, str]:
    """The issue this run asks for, or None; and why, in words for the log."""
    if from_fork:
        return None, "a fork's run never opens issues"
    known = set(covered)
    failing = {i: signature(c) for i, c in enumerate(run.cases) if c.outcome in FAILING}
    new = {i: sig for i, sig in failing.items() if sig not in known}
    if not new:
        return None, "every failure is covered by an open issue"
    if opened_today >= per_day:
        return None, f"already {opened_today} issues opened today (open_issues_per_day)"
    kept = [c for i, c in enumerate(run.cases) if i not in failing or i in new]
    return (
        Opening(
            run=dataclasses.replace(run, cases=kept),
            signatures=tuple(dict.fromkeys(new.values())),
            paths=tuple(dict.fromkeys(owner_of(run.cases[i]) for i in new)),
        ),
        f"{len(new)} failures no open issue covers",
    )


def covered_by_plans(run: RunInput, plans: Iterable[Plan]) -> set[str]:
    """The signatures of this run's failures that some plan has a phase for."""
    indexes = [PhaseIndex.build(p.phases) for p in plans if p.phases]
    return {
        signature(case)
        for case in run.cases
        if case.outcome in FAILING
        and any(place(case, index).phase is not None for index in indexes)
    }


def title(opening: Opening, branch: str) -> str:
    """ "Test failures on main: 8 failing, 3 root causes"."""
    failing = sum(c.outcome in FAILING for c in opening.run.cases)
    causes = len(opening.signatures)
    return (
        f"Test failures on {branch}: {failing} failing, "
        f"{causes} root cause{'s' if causes != 1 else ''}"
    )


def owners(codeowners: str, paths: Sequence[str]) -> list[str]:
    """The user logins CODEOWNERS gives these files (the last matching line wins, as on
    GitHub); teams and e-mail addresses cannot be assignees and are left out."""
    rules = []
    for line in codeowners.splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            rules.append((fields[0], fields[1:]))
    found: list[str] = []
    for path in paths:
        match = next((o for p, o in reversed(rules) if _matches(p, path.lstrip("/"))), [])
        for owner in match:
            login = _LOGIN.match(owner)
            if login and login.group(1) not in found:
                found.append(login.group(1))
    return found


def _matches(pattern: str, path: str) -> bool:
    """A CODEOWNERS pattern (gitignore-style) against a repository path."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    regex = fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
    candidates = [path] if anchored else [path[i + 1 :] for i in _slashes(path)] + [path]
    return any(
        re.match(regex, candidate) or re.match(regex.replace(r"\Z", r"(?:/.*)?\Z"), candidate)
        for candidate in candidates
    )


def _slashes(path: str) -> list[int]:
    return [i for i, ch in enumerate(path) if ch == "/"]
