"""Tests for bot.commands: the `/remediation` grammar, what counts as a command, and fuzzing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.commands import (
    MAX_COMMANDS,
    MAX_LINE,
    READ_VERBS,
    RULE_HELP,
    USAGE,
    Command,
    Malformed,
    Verb,
    command_lines,
    find_item,
    help_text,
    parse_comment,
    parse_line,
)
from bot.core.metrics import RULE_USAGE

# -- what counts as a command --------------------------------------------------------------


def test_a_command_is_a_line_of_its_own() -> None:
    body = "Thanks!\n/remediation status\nand please `/remediation help` later"
    assert command_lines(body) == ["/remediation status"]


def test_several_commands_in_one_comment_keep_their_order() -> None:
    body = "/remediation track\r\nWords.\r\n  /remediation map x to phase 2\n\n/remediation help"
    assert [c.verb for c in parse_comment(body) if isinstance(c, Command)] == [
        Verb.TRACK,
        Verb.MAP,
        Verb.HELP,
    ]


@pytest.mark.parametrize(
    "body",
    [
        "```\n/remediation untrack\n```",
        "~~~md\n/remediation untrack\n~~~",
        "    /remediation untrack",
        "\t/remediation untrack",
        "> /remediation untrack",
        "> quoting you:\n>\n> /remediation untrack",
        "> lazy continuation of the quote\n/remediation untrack",
        "<!--\n/remediation untrack\n-->",
        "<details>\n/remediation untrack\n</details>",
        "- > /remediation untrack",
        "/remediationuntrack",
        "/remediation-untrack",
        "/remediation_untrack",
        "please run /remediation untrack",
        "`/remediation untrack`",
        "/Remediation untrack",
    ],
    ids=lambda body: body.replace("\n", "⏎")[:40],
)
def test_code_quotes_html_and_lookalikes_are_not_commands(body: str) -> None:
    assert parse_comment(body) == []


def test_a_command_after_a_closed_code_block_counts() -> None:
    body = "```\n/remediation untrack\n```\n/remediation status\n> /remediation track"
    assert [c.verb for c in parse_comment(body) if isinstance(c, Command)] == [Verb.STATUS]


def test_an_unclosed_fence_hides_everything_after_it() -> None:
    # GitHub renders an unclosed fence to the end of the comment: all of it is code.
    assert parse_comment("```\n/remediation untrack\n\n/remediation help") == []


def test_past_the_limit_commands_are_refused_not_run() -> None:
    parsed = parse_comment("\n".join(["/remediation help"] * (MAX_COMMANDS + 5)))
    assert len(parsed) == MAX_COMMANDS + 1
    assert all(isinstance(c, Command) for c in parsed[:MAX_COMMANDS])
    last = parsed[-1]
    assert isinstance(last, Malformed)
    assert str(MAX_COMMANDS) in last.message


# -- each verb -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "verb", "fields"),
    [
        ("/remediation help", Verb.HELP, {}),
        ("/remediation HELP", Verb.HELP, {}),
        ("/remediation status", Verb.STATUS, {}),
        ("/remediation track", Verb.TRACK, {}),
        ("/remediation untrack", Verb.UNTRACK, {}),
        ("/remediation refresh", Verb.REFRESH, {}),
        ("/remediation history", Verb.HISTORY, {"count": 10}),
        ("/remediation history 3", Verb.HISTORY, {"count": 3}),
        (
            "/remediation map tests/legacy/* to phase 3",
            Verb.MAP,
            {"pattern": "tests/legacy/*", "phase": 3},
        ),
        (
            "/remediation map 'tests/a b.py' TO Phase #2",
            Verb.MAP,
            {"pattern": "tests/a b.py", "phase": 2},
        ),
        (
            "/remediation map OrderServiceTest to phase B",
            Verb.MAP,
            {"pattern": "OrderServiceTest", "phase": 2},
        ),
        (
            "/remediation unmap tests/a/test_b.py::test_c",
            Verb.UNMAP,
            {"pattern": "tests/a/test_b.py::test_c"},
        ),
        ("/remediation ignore test_x.py", Verb.IGNORE, {"pattern": "test_x.py"}),
        (
            "/remediation ignore test_x.py known flake, see #12",
            Verb.IGNORE,
            {"pattern": "test_x.py", "reason": "known flake, see #12"},
        ),
        ("/remediation unignore test_x.py", Verb.UNIGNORE, {"pattern": "test_x.py"}),
        ("/remediation tick #1", Verb.TICK, {"item": "#1"}),
        ('/remediation untick "Memory usage"', Verb.UNTICK, {"item": "Memory usage"}),
        (
            "/remediation rule #3 pass-rate >= 95%",
            Verb.RULE,
            {"item": "#3", "rule": "pass-rate >= 95%"},
        ),
        (
            "/remediation rule 'Memory usage' `memory <= 260MB`",
            Verb.RULE,
            {"item": "Memory usage", "rule": "memory <= 260MB"},
        ),
        (
            "/remediation rule #0 tests tests/test_auth.py 12",
            Verb.RULE,
            {"item": "#0", "rule": "tests tests/test_auth.py 12"},
        ),
        ("/remediation rule #2 manual", Verb.RULE, {"item": "#2", "rule": "manual"}),
        ("/remediation unrule #2", Verb.UNRULE, {"item": "#2"}),
        ('/remediation unrule "Memory usage"', Verb.UNRULE, {"item": "Memory usage"}),
        ("/remediation draft", Verb.DRAFT, {}),
    ],
)
def test_every_verb_parses_with_good_arguments(
    line: str, verb: Verb, fields: dict[str, Any]
) -> None:
    expected = Command(verb, line, **fields)
    assert parse_line(line) == expected
    assert parse_comment(f"Some context.\n{line}\n") == [expected]


def test_the_grammar_covers_every_verb() -> None:
    assert set(USAGE) == set(Verb)
    assert all(usage.startswith("/remediation ") for usage in USAGE.values())
    assert help_text().splitlines() == [*USAGE.values(), RULE_HELP]
    assert RULE_USAGE in help_text()


def test_rules_change_what_the_bot_ticks_so_they_need_write_access() -> None:
    assert Verb.RULE not in READ_VERBS
    assert Verb.UNRULE not in READ_VERBS
    assert Verb.DRAFT not in READ_VERBS  # a draft reads the run history: like the dashboard


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/remediation rule #1 pass-rate 95", "pass-rate rule '95'"),
        ("/remediation rule #1 passrate >= 95%", "unknown rule 'passrate'"),
        ("/remediation rule #1 memory <= lots", "expected e.g. `memory <= 250MB`"),
        ("/remediation rule #1 duration each <= 2 fortnights", "unknown time unit"),
        ("/remediation rule #1 manual please", "unknown rule 'manual'"),
        ("/remediation rule #1 zero", "name the kind of failure"),
    ],
)
def test_a_broken_rule_is_malformed_with_what_is_wrong_and_every_rule(line: str, says: str) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, Malformed)
    assert parsed.verb is Verb.RULE
    assert parsed.message.startswith("the rule is broken: ")
    assert says in parsed.message
    assert parsed.usage == f"{USAGE[Verb.RULE]}\n{RULE_HELP}"
    assert RULE_USAGE in parsed.usage


@pytest.mark.parametrize(
    ("line", "verb", "says"),
    [
        ("/remediation help me", Verb.HELP, "no arguments"),
        ("/remediation status now", Verb.STATUS, "no arguments"),
        ("/remediation track 12", Verb.TRACK, "no arguments"),
        ("/remediation untrack please", Verb.UNTRACK, "no arguments"),
        ("/remediation refresh all", Verb.REFRESH, "no arguments"),
        ("/remediation history 0", Verb.HISTORY, "1 to 100"),
        ("/remediation history 101", Verb.HISTORY, "1 to 100"),
        ("/remediation history ten", Verb.HISTORY, "1 to 100"),
        ("/remediation history 1 2", Verb.HISTORY, "1 to 100"),
        ("/remediation history ²", Verb.HISTORY, "1 to 100"),  # isdigit(), yet not a number
        ("/remediation history ٣", Verb.HISTORY, "1 to 100"),
        ("/remediation map x", Verb.MAP, "to phase"),
        ("/remediation map x to 3", Verb.MAP, "to phase"),
        ("/remediation map x to phase", Verb.MAP, "to phase"),
        ("/remediation map x to phase 0", Verb.MAP, "to phase"),
        ("/remediation map x to phase -1", Verb.MAP, "to phase"),
        ("/remediation map x to phase three", Verb.MAP, "to phase"),
        ("/remediation map x to phase ²", Verb.MAP, "to phase"),
        ("/remediation map x to phase İ", Verb.MAP, "to phase"),  # lower() is two characters
        ("/remediation map x to phase é", Verb.MAP, "to phase"),
        ("/remediation map x y to phase 3", Verb.MAP, "to phase"),
        ("/remediation map", Verb.MAP, "to phase"),
        ("/remediation unmap", Verb.UNMAP, "one test pattern"),
        ("/remediation unmap a b", Verb.UNMAP, "one test pattern"),
        ("/remediation unmap ''", Verb.UNMAP, "one test pattern"),
        ("/remediation ignore", Verb.IGNORE, "test pattern"),
        ("/remediation ignore '' flaky", Verb.IGNORE, "test pattern"),
        ("/remediation unignore", Verb.UNIGNORE, "one test pattern"),
        ("/remediation tick", Verb.TICK, "item"),
        ("/remediation untick", Verb.UNTICK, "item"),
        ("/remediation unrule", Verb.UNRULE, "one item"),
        ("/remediation unrule #1 #2", Verb.UNRULE, "one item"),
    ],
)
def test_bad_arguments_are_malformed_with_a_reason_and_the_usage(
    line: str, verb: Verb, says: str
) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, Malformed)
    assert parsed.verb is verb
    assert says in parsed.message
    assert parsed.usage == USAGE[verb]
    assert parsed.line == line


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/remediation", "no command"),
        ("/remediation   ", "no command"),
        ("/remediation frobnicate", "unknown command 'frobnicate'"),
        ("/remediation map 'unclosed to phase 3", "cannot read the arguments"),
    ],
)
def test_unknown_or_unreadable_commands_show_every_usage(line: str, says: str) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, Malformed)
    assert says in parsed.message
    assert parsed.verb is None
    assert parsed.usage == help_text()


def test_an_overlong_line_is_malformed_and_cut() -> None:
    parsed = parse_line("/remediation ignore " + "x" * MAX_LINE)
    assert isinstance(parsed, Malformed)
    assert len(parsed.line) == MAX_LINE
    assert str(MAX_LINE) in parsed.message


# -- find_item -----------------------------------------------------------------------------

TEXTS = [
    "`test_user_execution_engine_integration.py`: 5/5 tests passing",
    "`test_base_agent_factory_user_isolation.py`: 4/4 tests passing",
    "Memory usage remains stable under 250MB",
    "Execution time improvements (target <0.5s per test)",
    "Zero user isolation violations under concurrent load",
]


@pytest.mark.parametrize(
    ("reference", "index"),
    [
        ("#0", 0),
        ("#1", 1),
        ("4", 4),
        (" #2 ", 2),
        ("#5", None),
        ("99", None),
        ("#²", None),
        ("1234567890123", None),
        ("Memory usage", 2),
        ("memory USAGE remains", 2),
        ('"Zero user"', 4),
        ("`test_base", 1),
        ("test_base_agent_factory_user_isolation.py: 4/4", 1),  # as read, code marks unseen
        ("zero  user   isolation", 4),
        ("`test_", None),  # two items start so: ambiguous
        ("", None),
        ('""', None),
        ("Nothing like this", None),
    ],
)
def test_find_item(reference: str, index: int | None) -> None:
    assert find_item(TEXTS, reference) == index


def test_find_item_in_an_empty_checklist() -> None:
    assert find_item([], "#0") is None
    assert find_item([], "Memory") is None


# -- fuzzing -------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "/remediation",
        "/remediation ",
        " ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "> ",
        "    ",
        "```",
        "~~~",
        "<!--",
        "-->",
        "<details>",
        "- ",
        "1. ",
        "'",
        '"',
        "\\",
        "#",
        "#1",
        "0",
        "101",
        "to",
        "phase",
        "B",
        "*",
        "tests/a/test_b.py::test_c",
        "\x00",
        "\u2028",
        "\u00a0",
        "\ufeff",
        "²",
        "٣",
        "İ",
        "é",
        "@octocat",
        *(verb.value for verb in Verb),
    ]
)
command_like = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join)


def _check(parsed: list[Command | Malformed]) -> None:
    assert len(parsed) <= MAX_COMMANDS + 1
    for item in parsed:
        assert item.line.startswith("/remediation")
        assert len(item.line) <= MAX_LINE
        if isinstance(item, Malformed):
            assert item.message
            assert item.usage
        else:
            assert item.verb in Verb


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_comment_never_raises_on_any_text(body: str) -> None:
    _check(parse_comment(body))


@settings(max_examples=500, deadline=None)
@given(command_like)
def test_parse_comment_never_raises_on_command_like_text(body: str) -> None:
    _check(parse_comment(body))


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=12).map(" ".join))
def test_parse_line_never_raises(rest: str) -> None:
    parsed = parse_line("/remediation " + rest)
    assert isinstance(parsed, Command | Malformed)


@settings(max_examples=200, deadline=None)
@given(command_like, st.text(max_size=20))
def test_find_item_never_raises(reference: str, extra: str) -> None:
    index = find_item([*TEXTS, extra], reference)
    assert index is None or 0 <= index <= len(TEXTS)


@pytest.mark.parametrize(
    "line", ["/remediation rule", "/remediation rule #1", "/remediation rule ''"]
)
def test_a_rule_without_item_and_rule_says_what_it_takes(line: str) -> None:
    parsed = parse_line(line)
    assert isinstance(parsed, Malformed)
    assert "then a rule" in parsed.message
    assert RULE_HELP in parsed.usage
