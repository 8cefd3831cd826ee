"""`/remediation ...` commands in issue comments: the grammar, parsed into plain data.

Pure module: no I/O. A command is a line of its own starting with `/remediation`, outside
code blocks, HTML blocks and quotes (quoting someone's command never runs it again).

    /remediation help
    /remediation status                      post a fresh summary now
    /remediation history [N]                 the last N runs (default 10) with pass rates
    /remediation track | untrack             follow this issue without / despite the label
    /remediation refresh                     re-read the plan, re-evaluate the newest run
    /remediation map PATTERN to phase N      failures of matching tests belong to phase N
    /remediation unmap PATTERN
    /remediation ignore PATTERN [REASON...]  exclude from metrics (still shown), e.g. a flake
    /remediation unignore PATTERN
    /remediation tick ITEM | untick ITEM     a person's decision, which the bot respects
    /remediation rule ITEM RULE              read ITEM by this explicit rule (or `manual`)
    /remediation unrule ITEM                 back to the item's own reading
    /remediation draft                       reply with an issue drafted from the newest run

PATTERN is a glob (`tests/legacy/*`) or a selector (`test_x.py`, `OrderServiceTest`,
`tests/a/test_b.py::test_c`); quote it if it has spaces. ITEM is the item's number as the
summary shows it (`#2` or `2`) or the start of its text in quotes. RULE is one of
`bot.core.metrics.RULE_USAGE` (`pass-rate >= 95%`, `tests FILE`, `manual`, ...); a rule that
does not parse is refused here, saying what is wrong, so nothing broken is ever stored.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum
from string import ascii_letters, digits

from bot.core.checklist import guarded_parser
from bot.core.metrics import RULE_USAGE, parse_rule
from bot.errors import RuleError

PREFIX = "/remediation"
MAX_COMMANDS = 10  # per comment: a wall of commands is refused past this
MAX_LINE = 500


class Verb(StrEnum):
    """What a command asks for."""

    HELP = "help"
    STATUS = "status"
    HISTORY = "history"
    TRACK = "track"
    UNTRACK = "untrack"
    REFRESH = "refresh"
    MAP = "map"
    UNMAP = "unmap"
    IGNORE = "ignore"
    UNIGNORE = "unignore"
    TICK = "tick"
    UNTICK = "untick"
    RULE = "rule"
    UNRULE = "unrule"
    DRAFT = "draft"


# Anyone who can read the repository may ask these; the rest need write, maintain or admin.
READ_VERBS = frozenset({Verb.HELP, Verb.STATUS, Verb.HISTORY})

USAGE = {
    Verb.HELP: "/remediation help",
    Verb.STATUS: "/remediation status",
    Verb.HISTORY: "/remediation history [N]",
    Verb.TRACK: "/remediation track",
    Verb.UNTRACK: "/remediation untrack",
    Verb.REFRESH: "/remediation refresh",
    Verb.MAP: "/remediation map PATTERN to phase N",
    Verb.UNMAP: "/remediation unmap PATTERN",
    Verb.IGNORE: "/remediation ignore PATTERN [REASON...]",
    Verb.UNIGNORE: "/remediation unignore PATTERN",
    Verb.TICK: "/remediation tick ITEM",
    Verb.UNTICK: "/remediation untick ITEM",
    Verb.RULE: "/remediation rule ITEM RULE",
    Verb.UNRULE: "/remediation unrule ITEM",
    Verb.DRAFT: "/remediation draft",
}
RULE_HELP = f"RULE: {RULE_USAGE}"


@dataclass(frozen=True, slots=True)
class Command:
    """A well-formed command."""

    verb: Verb
    line: str
    pattern: str | None = None
    phase: int | None = None
    reason: str | None = None
    item: str | None = None
    count: int | None = None
    rule: str | None = None  # RULE: the explicit rule, already known to parse


@dataclass(frozen=True, slots=True)
class Malformed:
    """A `/remediation` line that does not follow the grammar; `message` says why."""

    line: str
    message: str
    verb: Verb | None = None

    @property
    def usage(self) -> str:
        """The usage of the verb, or all of them."""
        return usage(self.verb) if self.verb else help_text()


def usage(verb: Verb) -> str:
    """One verb's usage; a rule's says which rules there are."""
    return f"{USAGE[verb]}\n{RULE_HELP}" if verb is Verb.RULE else USAGE[verb]


def help_text() -> str:
    """Every command's usage, one per line, then the rules `rule` takes."""
    return "\n".join([*USAGE.values(), RULE_HELP])


def command_lines(body: str) -> list[str]:
    """Lines starting with the prefix, outside code, HTML blocks and quotes."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    excluded: set[int] = set()
    for token in guarded_parser().parse(body):
        if token.map and token.type in ("fence", "code_block", "html_block", "blockquote_open"):
            excluded.update(range(token.map[0], token.map[1]))
    found = []
    for number, line in enumerate(lines):
        stripped = line.strip()
        if number in excluded or not stripped.startswith(PREFIX):
            continue
        rest = stripped[len(PREFIX) :]
        if rest and not rest[0].isspace():
            continue  # `/remediationfoo` is not ours
        found.append(stripped)
    return found


def parse_comment(body: str) -> list[Command | Malformed]:
    """Every command of a comment, in order; malformed ones say what is wrong."""
    parsed: list[Command | Malformed] = []
    for line in command_lines(body):
        if len(parsed) == MAX_COMMANDS:
            parsed.append(Malformed(line, f"at most {MAX_COMMANDS} commands per comment"))
            break
        parsed.append(parse_line(line))
    return parsed


def parse_line(line: str) -> Command | Malformed:
    """One `/remediation ...` line."""
    if len(line) > MAX_LINE:
        return Malformed(line[:MAX_LINE], f"the command is longer than {MAX_LINE} characters")
    try:
        words = shlex.split(line[len(PREFIX) :])
    except ValueError as exc:
        return Malformed(line, f"cannot read the arguments: {exc}")
    if not words:
        return Malformed(line, "no command given")
    try:
        verb = Verb(words[0].lower())
    except ValueError:
        return Malformed(line, f"unknown command {words[0]!r}")
    args = words[1:]
    return _READERS[verb](verb, line, args)


def _bare(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if args:
        return Malformed(line, f"`{verb}` takes no arguments", verb)
    return Command(verb, line)


def _history(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if not args:
        return Command(verb, line, count=10)
    count = _number(args[0]) if len(args) == 1 else None
    if count is not None and 1 <= count <= 100:
        return Command(verb, line, count=count)
    return Malformed(line, "history takes one number from 1 to 100", verb)


def _map(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if len(args) == 4 and args[1].lower() == "to" and args[2].lower() == "phase":
        phase = args[3].lstrip("#")
        number = _number(phase)
        if number is not None and number >= 1:
            return Command(verb, line, pattern=args[0], phase=number)
        if len(phase) == 1 and phase in ascii_letters:  # "Stage B" is phase 2
            return Command(verb, line, pattern=args[0], phase=ord(phase.lower()) - 96)
    return Malformed(line, "expected a pattern, then `to phase` and its number", verb)


def _pattern(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if len(args) == 1 and args[0]:
        return Command(verb, line, pattern=args[0])
    return Malformed(line, "expected one test pattern (quote it if it has spaces)", verb)


def _ignore(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if not args or not args[0]:
        return Malformed(line, "expected a test pattern, then an optional reason", verb)
    return Command(verb, line, pattern=args[0], reason=" ".join(args[1:]) or None)


def _item(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if not args:
        return Malformed(line, "expected the item's number (#2) or the start of its text", verb)
    return Command(verb, line, item=" ".join(args))


def _rule(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if len(args) < 2:
        return Malformed(line, "expected the item (#2 or its text in quotes), then a rule", verb)
    rule = " ".join(args[1:]).strip("`").strip()  # people paste the summary's code span
    try:
        parse_rule(rule)
    except RuleError as exc:
        return Malformed(line, f"the rule is broken: {exc}", verb)
    return Command(verb, line, item=args[0], rule=rule)


def _unrule(verb: Verb, line: str, args: list[str]) -> Command | Malformed:
    if len(args) != 1 or not args[0]:
        return Malformed(line, "expected one item: #2, or the start of its text in quotes", verb)
    return Command(verb, line, item=args[0])


_READERS = {
    Verb.HELP: _bare,
    Verb.STATUS: _bare,
    Verb.TRACK: _bare,
    Verb.UNTRACK: _bare,
    Verb.REFRESH: _bare,
    Verb.HISTORY: _history,
    Verb.MAP: _map,
    Verb.UNMAP: _pattern,
    Verb.IGNORE: _ignore,
    Verb.UNIGNORE: _pattern,
    Verb.TICK: _item,
    Verb.UNTICK: _item,
    Verb.RULE: _rule,
    Verb.UNRULE: _unrule,
    Verb.DRAFT: _bare,
}


def find_item(texts: list[str], reference: str) -> int | None:
    """The index an ITEM reference names: `#2`/`2` (as numbered from 0) or a unique text start."""
    reference = reference.strip()
    index = _number(reference.lstrip("#"))
    if index is not None:
        return index if index < len(texts) else None
    wanted = _plain(reference.strip("\"'"))
    matches = [i for i, text in enumerate(texts) if _plain(text).startswith(wanted)]
    return matches[0] if len(matches) == 1 and wanted else None


def _number(word: str) -> int | None:
    # ASCII digits only: str.isdigit() accepts "²", which int() refuses.
    return int(word) if 0 < len(word) <= 9 and all(c in digits for c in word) else None


def _plain(text: str) -> str:
    # People name an item by what they read: the code marks (backticks) of its text are not
    # shown, and case or spacing should not matter.
    return " ".join(text.replace("`", "").split()).casefold()
