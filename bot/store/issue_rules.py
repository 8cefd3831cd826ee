"""The rules `/remediation` commands make for an issue: stored, replaced, and read back.

Keyword-only functions over a `Session`; each write commits. Later rules win over earlier
ones, and a rule of the same kind and subject replaces the one before it. An item's explicit
rule (`rule` command) is kept by the item's text, its rule text in `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, select

from bot.core.checklist import find_checkboxes
from bot.core.mapping import MapRule
from bot.store.models import IssueRule, TrackedIssue


@dataclass(slots=True)
class StoredRules:
    """What commands decided for an issue, as evaluation inputs."""

    map_rules: list[MapRule] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    forced: dict[str, bool] = field(default_factory=dict)
    item_rules: dict[str, str] = field(default_factory=dict)  # item text -> explicit rule
    notes: list[str] = field(default_factory=list)  # each rule in words, for people


def stored_rules(*, session: Session, issue: TrackedIssue) -> StoredRules:
    """The rules commands made for this issue, oldest first (later ones win)."""
    rules = StoredRules()
    # Notes name items by number as the summary shows them, in the body last read.
    numbers = {box.text: box.index for box in reversed(find_checkboxes(issue.body or ""))}
    query = select(IssueRule).where(IssueRule.issue_id == issue.id).order_by(col(IssueRule.id))
    for rule in session.exec(query):
        _add(rules, rule, numbers)
    return rules


def _add(rules: StoredRules, rule: IssueRule, numbers: dict[str, int]) -> None:
    by = f" (by {rule.author})" if rule.author else ""
    if rule.kind == "map" and rule.pattern and rule.phase:
        rules.map_rules.append(MapRule(pattern=rule.pattern, phase=rule.phase))
        rules.notes.append(f"failures of `{rule.pattern}` belong to phase {rule.phase}{by}")
    elif rule.kind == "ignore" and rule.pattern:
        rules.ignore.append(rule.pattern)
        reason = f": {rule.reason}" if rule.reason else ""
        rules.notes.append(f"`{rule.pattern}` ignored in metrics{reason}{by}")
    elif rule.kind in ("tick", "untick") and rule.item_text is not None:
        rules.forced[rule.item_text] = rule.kind == "tick"
        state = "ticked" if rule.kind == "tick" else "unticked"
        rules.notes.append(f"kept {state} by hand: {rule.item_text}{by}")
    elif rule.kind == "rule" and rule.item_text is not None and rule.reason:
        rules.item_rules[rule.item_text] = rule.reason
        number = numbers.get(rule.item_text)
        item = f"`#{number}`" if number is not None else f"“{rule.item_text}”"
        rules.notes.append(f"{item} read as `{rule.reason}`{by}")


def save_pattern_rule(
    *,
    session: Session,
    issue: TrackedIssue,
    kind: str,
    pattern: str | None,
    keep: bool,
    phase: int | None = None,
    reason: str | None = None,
    author: str = "",
) -> None:
    """Replace the `map` or `ignore` rule of this pattern; `keep=False` only removes it."""
    _delete(session, issue, (kind,), pattern=pattern)
    if keep:
        session.add(
            IssueRule(
                issue_id=_id(issue),
                kind=kind,
                pattern=pattern,
                phase=phase,
                reason=reason,
                author=author,
            )
        )
    session.commit()


def save_item_rule(
    *, session: Session, issue: TrackedIssue, checked: bool, item_text: str, author: str
) -> None:
    """Keep this checklist item ticked (or unticked) by hand, replacing any earlier choice."""
    _delete(session, issue, ("tick", "untick"), item_text=item_text)
    kind = "tick" if checked else "untick"
    session.add(IssueRule(issue_id=_id(issue), kind=kind, item_text=item_text, author=author))
    session.commit()


def save_reading_rule(
    *, session: Session, issue: TrackedIssue, item_text: str, rule: str | None, author: str
) -> None:
    """Read this item by an explicit `rule` (None removes it), replacing any earlier one."""
    _delete(session, issue, ("rule",), item_text=item_text)
    if rule is not None:
        session.add(
            IssueRule(
                issue_id=_id(issue), kind="rule", item_text=item_text, reason=rule, author=author
            )
        )
    session.commit()


def _delete(
    session: Session,
    issue: TrackedIssue,
    kinds: tuple[str, ...],
    *,
    pattern: str | None = None,
    item_text: str | None = None,
) -> None:
    statement = delete(IssueRule).where(
        col(IssueRule.issue_id) == issue.id, col(IssueRule.kind).in_(kinds)
    )
    if pattern is not None:
        statement = statement.where(col(IssueRule.pattern) == pattern)
    if item_text is not None:
        statement = statement.where(col(IssueRule.item_text) == item_text)
    session.exec(statement)


def _id(issue: TrackedIssue) -> int:
    if issue.id is None:
        raise ValueError("the issue is not stored yet")
    return issue.id
