"""Tests for bot.checklist: finding task-list items and ticking them byte-exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.checklist import MAX_NESTING, Checkbox, Decision, find_checkboxes, tick

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ISSUE_870 = (FIXTURES / "issue-870.md").read_bytes().decode("utf-8")
ISSUE_870_TEXTS = [
    "`test_user_execution_engine_integration.py`: 5/5 tests passing",
    "`test_base_agent_factory_user_isolation.py`: 4/4 tests passing",
    "Memory usage remains stable under 250MB",
    "Execution time improvements (target <0.5s per test)",
    "Zero user isolation violations under concurrent load",
]


def _differences(before: str, after: str) -> list[int]:
    """Positions where two equally long strings differ."""
    assert len(before) == len(after)
    return [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]


def _texts(body: str) -> list[str]:
    """The texts of a body's task-list items."""
    return [box.text for box in find_checkboxes(body)]


# -- the reference issue -------------------------------------------------------------------


def test_issue_870_has_five_unchecked_items() -> None:
    boxes = find_checkboxes(ISSUE_870)
    assert [box.index for box in boxes] == [0, 1, 2, 3, 4]
    assert [box.text for box in boxes] == ISSUE_870_TEXTS
    assert not any(box.checked for box in boxes)
    assert all(box.depth == 0 and box.comment is None for box in boxes)
    lines = ISSUE_870.split("\n")
    for box in boxes:
        assert lines[box.line].startswith("- [ ] ")
        assert ISSUE_870[box.offset - 1 : box.offset + 2] == "[ ]"


def test_issue_870_tick_changes_exactly_two_characters() -> None:
    boxes = find_checkboxes(ISSUE_870)
    decisions = [Decision(0, ISSUE_870_TEXTS[0], True), Decision(2, ISSUE_870_TEXTS[2], True)]
    ticked = tick(ISSUE_870, decisions)
    assert _differences(ISSUE_870, ticked) == [boxes[0].offset, boxes[2].offset]
    assert ticked[boxes[0].offset] == ticked[boxes[2].offset] == "x"
    assert [box.checked for box in find_checkboxes(ticked)] == [True, False, True, False, False]
    # the mis-encoded text and trailing spaces survive
    assert "‚úÖ" in ticked
    assert "4/4 tests passing  \n" in ticked


def test_nothing_to_change_returns_the_same_string() -> None:
    assert tick(ISSUE_870, []) is ISSUE_870
    already = tick(ISSUE_870, [Decision(0, ISSUE_870_TEXTS[0], True)])
    assert tick(already, [Decision(0, ISSUE_870_TEXTS[0], True)]) is already


# -- what counts as a task-list item -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("* [x] star", [("star", True)]),
        ("+ [X] plus", [("plus", True)]),
        ("- [ ] dash", [("dash", False)]),
        ("1. [ ] one\n2) [x] two", [("one", False), ("two", True)]),
        ("1) [x] paren", [("paren", True)]),
        ("> - [ ] quoted", [("quoted", False)]),
        ("> > 3. [x] deeply quoted", [("deeply quoted", True)]),
        ("- [ ]", [("", False)]),
        ("- [x]\t tab after", [("tab after", True)]),
        ("-\t[ ] tab before", [("tab before", False)]),
        ("- [ ] first line\n  second line", [("first line", False)]),
        ("-\n  [ ] content on the next line", [("content on the next line", False)]),
        ("- [ ] x  \n", [("x", False)]),
        ("- [ ] `code` stays\n", [("`code` stays", False)]),
        ("- [ ] above a table\n  | a |\n  |---|\n", [("above a table", False)]),
    ],
)
def test_task_items_are_found(body: str, expected: list[tuple[str, bool]]) -> None:
    assert [(box.text, box.checked) for box in find_checkboxes(body)] == expected


@pytest.mark.parametrize(
    "body",
    [
        "```\n- [ ] fenced\n```",
        "~~~md\n- [x] tilde fenced\n~~~",
        "    - [ ] indented code",
        "paragraph\n\n    - [ ] indented code",
        "`- [ ] inline code`",
        "- `[ ]` inline code in an item",
        "- see [ ] here",
        "- [ ]no space",
        "- [y] other letter",
        "- [  ] two spaces",
        "[ ] no list",
        "<div>\n- [ ] html block\n</div>",
        "- # [ ] heading",
        "-     [ ] indented code inside an item",
        "- > [ ] blockquote inside an item",
        "- [ ] a | b\n  --- | ---",
    ],
)
def test_non_task_items_are_ignored(body: str) -> None:
    assert find_checkboxes(body) == []


def test_nested_items_report_depth() -> None:
    body = "- [ ] a\n  - [x] b\n    1. [ ] c\n- [ ] d\n- - [ ] e\n"
    boxes = find_checkboxes(body)
    assert [(box.text, box.depth) for box in boxes] == [
        ("a", 0),
        ("b", 1),
        ("c", 2),
        ("d", 0),
        ("e", 1),
    ]
    assert [box.index for box in boxes] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_and_offset_follow_the_original_newlines(newline: str) -> None:
    body = newline.join(["# title", "", "- [ ] a", "- [x] b", ""])
    boxes = find_checkboxes(body)
    assert [box.line for box in boxes] == [2, 3]
    assert [body[box.offset] for box in boxes] == [" ", "x"]
    ticked = tick(body, [Decision(0, "a", True)])
    assert _differences(body, ticked) == [boxes[0].offset]
    assert ticked.count(newline) == body.count(newline)


def test_crlf_item_text_has_no_carriage_return() -> None:
    boxes = find_checkboxes("- [ ] windows line\r\n- [ ] next\r\n")
    assert [box.text for box in boxes] == ["windows line", "next"]


def test_bom_and_non_ascii_before_the_box() -> None:
    body = "\ufeff- [ ] ✅ émoji 🎉\n> - [ ] ‚úÖ mis-encoded\n"
    boxes = find_checkboxes(body)
    assert [box.text for box in boxes] == ["✅ émoji 🎉", "‚úÖ mis-encoded"]
    assert all(body[box.offset - 1 : box.offset + 2] == "[ ]" for box in boxes)


def test_html_comment_on_the_item_line_is_exposed() -> None:
    body = (
        "- [ ] pass rate <!-- remediation: pass-rate >= 90% -->\n"
        "- [ ] no comment\n"
        "- [ ] comment on the next line\n  <!-- not this one -->\n"
        "- [ ] `<!-- in code -->`\n"
    )
    boxes = find_checkboxes(body)
    assert [box.comment for box in boxes] == ["remediation: pass-rate >= 90%", None, None, None]
    assert boxes[0].text == "pass rate <!-- remediation: pass-rate >= 90% -->"


def test_deep_nesting_is_cut_off_and_what_follows_is_kept() -> None:
    deep = "".join("  " * level + f"- [ ] level {level}\n" for level in range(500))
    boxes = find_checkboxes(deep + "\n\n- [ ] after\n")
    assert boxes[-1].text == "after"
    assert boxes[-1].depth == 0
    deepest = max(box.depth for box in boxes)
    assert deepest == MAX_NESTING // 2 - 2
    assert [box.depth for box in boxes[:-1]] == list(range(deepest + 1))


def test_deep_blockquotes_do_not_overflow_the_stack() -> None:
    assert _texts(">" * 5000 + " - [ ] buried\n\n- [ ] after\n") == ["after"]


def test_many_items() -> None:
    body = "".join(f"- [ ] item {i}\r\n" for i in range(10_000))
    boxes = find_checkboxes(body)
    assert len(boxes) == 10_000
    assert boxes[-1].text == "item 9999"


# -- tick rules ----------------------------------------------------------------------------


def test_a_persons_tick_is_never_undone() -> None:
    body = "- [x] done by hand\n- [X] also by hand\n"
    decisions = [Decision(0, "done by hand", False), Decision(1, "also by hand", False)]
    assert tick(body, decisions) is body
    assert tick(body, decisions, bot_ticked=["something else"]) is body


def test_a_bot_tick_is_undone_when_decided() -> None:
    body = "- [x] bot's\n- [X] person's\n"
    decisions = [Decision(0, "bot's", False), Decision(1, "person's", False)]
    assert tick(body, decisions, bot_ticked={"bot's"}) == "- [ ] bot's\n- [X] person's\n"


def test_ticking_a_ticked_item_and_unticking_an_unticked_one_are_no_ops() -> None:
    body = "- [X] a\n- [ ] b\n"
    decisions = [Decision(0, "a", True), Decision(1, "b", False)]
    assert tick(body, decisions, bot_ticked={"a", "b"}) is body


def test_a_moved_item_is_found_by_text() -> None:
    body = "- [ ] inserted by a person\n- [ ] a\n- [ ] b\n"
    assert tick(body, [Decision(0, "a", True)]) == "- [ ] inserted by a person\n- [x] a\n- [ ] b\n"


def test_the_index_wins_when_its_text_still_matches() -> None:
    body = "- [ ] same\n- [ ] other\n- [ ] same\n"
    assert tick(body, [Decision(2, "same", True)]) == "- [ ] same\n- [ ] other\n- [x] same\n"


@pytest.mark.parametrize(
    "decision",
    [
        Decision(0, "same", True),  # index 0 now reads "new"; "same" is on two items
        Decision(0, "gone", True),  # no item reads "gone"
        Decision(7, "gone", True),
    ],
)
def test_an_ambiguous_or_missing_text_is_skipped(decision: Decision) -> None:
    body = "- [ ] new\n- [ ] same\n- [ ] same\n"
    assert tick(body, [decision]) is body


def test_a_negative_index_is_matched_by_text_not_position() -> None:
    body = "- [ ] a\n- [ ] b\n"
    assert tick(body, [Decision(-1, "a", True)]) == "- [x] a\n- [ ] b\n"


def test_contradictory_decisions_for_one_item_change_nothing() -> None:
    body = "- [x] a\n"
    decisions = [Decision(0, "a", True), Decision(0, "a", False)]
    assert tick(body, decisions, bot_ticked={"a"}) is body


def test_decisions_may_be_a_generator() -> None:
    body = "- [ ] a\n"
    assert tick(body, (Decision(i, "a", True) for i in range(1))) == "- [x] a\n"


# -- properties ----------------------------------------------------------------------------

NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])
FREE_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
WORDS = st.lists(st.sampled_from([*"ab xX[]`*_-<>!#|\\\t✅é🎉‚ú", "<!--", "-->"]), max_size=12).map(
    "".join
)


TEXTS = st.one_of(st.sampled_from(["a", "b", "a b", "✅ ok", "`x.py`: 5/5"]), WORDS)


@st.composite
def task_lines(draw: st.DrawFn) -> str:
    """A well-formed task-list item line, nested by its indent, with various markers."""
    indent = draw(st.sampled_from(["", "", "  ", "   ", "    ", "      "]))
    marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)", "- -", "> -"]))
    box = draw(st.sampled_from(["[ ]", "[x]", "[X]"]))
    comment = draw(st.sampled_from(["", " <!-- remediation: rule -->", "<!--x-->"]))
    trailing = draw(st.sampled_from(["", "  ", "\t"]))
    return f"{indent}{marker} {box} {draw(TEXTS)}{comment}{trailing}"


@st.composite
def odd_task_lines(draw: st.DrawFn) -> str:
    """A line close to a task-list item, often not one (quotes, tabs, bad boxes, no gap)."""
    quote = draw(st.sampled_from(["", "> ", ">", "> > "]))
    indent = draw(st.sampled_from(["", " ", "  ", "   ", "    ", "\t", "      "]))
    marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)", "10.", "- -", "-\t"]))
    gap = draw(st.sampled_from([" ", "  ", "\t", ""]))
    box = draw(st.sampled_from(["[ ]", "[x]", "[X]", "[]", "[y]"]))
    after = draw(st.sampled_from([" ", "\t", "", "  "]))
    trailing = draw(st.sampled_from(["", "  ", "\t"]))
    return quote + indent + marker + gap + box + after + draw(WORDS) + trailing


LINES = st.one_of(
    task_lines(),
    task_lines(),
    task_lines(),
    odd_task_lines(),
    FREE_TEXT,
    WORDS,
    st.sampled_from(["", "```", "~~~", "```python", "    code", "> ", "<div>", "</div>", "---"]),
    st.sampled_from(["[x]: /reference", "- ", "1.", "  continuation", "\ufeff", "| a |", "|---|"]),
)


@st.composite
def bodies(draw: st.DrawFn) -> str:
    """A Markdown body mixing task items, code, quotes and noise, with mixed newlines."""
    lines = draw(st.lists(LINES, max_size=25))
    parts = [line + draw(NEWLINES) for line in lines]
    unterminated = draw(st.booleans())
    if parts and unterminated:
        parts[-1] = lines[-1]
    return "".join(parts)


@st.composite
def decided_bodies(draw: st.DrawFn) -> tuple[str, list[Decision], list[str]]:
    """A body, decisions about it (current, stale or wrong) and the texts the bot ticked."""
    body = draw(bodies())
    boxes = find_checkboxes(body)
    texts = [box.text for box in boxes] + ["not there"]
    current = st.builds(
        lambda box, checked: Decision(box.index, box.text, checked),
        st.sampled_from(boxes) if boxes else st.nothing(),
        st.booleans(),
    )
    stale = st.builds(
        Decision,
        index=st.integers(-1, len(boxes) + 1),
        text=st.sampled_from(texts),
        checked=st.booleans(),
    )
    decisions = draw(st.lists(st.one_of(current, stale), max_size=8))
    bot_ticked = draw(st.lists(st.sampled_from(texts), max_size=4))
    return body, decisions, bot_ticked


def _expected(
    boxes: list[Checkbox], decisions: list[Decision], bot_ticked: list[str]
) -> list[Checkbox]:
    """A reference model of `tick`'s rules, written out plainly."""
    wanted: dict[int, set[bool]] = {}
    for decision in decisions:
        if 0 <= decision.index < len(boxes) and boxes[decision.index].text == decision.text:
            target = decision.index
        else:
            matches = [box.index for box in boxes if box.text == decision.text]
            if len(matches) != 1:
                continue
            target = matches[0]
        wanted.setdefault(target, set()).add(decision.checked)
    result = list(boxes)
    for index, states in wanted.items():
        if len(states) != 1:
            continue
        (checked,) = states
        if checked or boxes[index].text in bot_ticked:
            result[index] = replace(boxes[index], checked=checked)
    return result


@settings(max_examples=200, deadline=None)
@given(decided_bodies())
def test_tick_changes_only_decided_state_characters(
    case: tuple[str, list[Decision], list[str]],
) -> None:
    body, decisions, bot_ticked = case
    boxes = find_checkboxes(body)
    ticked = tick(body, decisions, bot_ticked=bot_ticked)
    expected = _expected(boxes, decisions, bot_ticked)
    changed = [box.offset for box, want in zip(boxes, expected, strict=True) if box != want]
    assert _differences(body, ticked) == changed
    assert find_checkboxes(ticked) == expected
    if not changed:
        assert ticked is body


@settings(max_examples=200, deadline=None)
@given(bodies())
def test_found_boxes_point_at_their_brackets(body: str) -> None:
    boxes = find_checkboxes(body)
    assert [box.index for box in boxes] == list(range(len(boxes)))
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for box in boxes:
        assert body[box.offset - 1 : box.offset + 2] in ("[ ]", "[x]", "[X]")
        assert box.checked == (body[box.offset] != " ")
        assert box.text in lines[box.line]
        assert "\r" not in box.text
        assert "\n" not in box.text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_find_checkboxes_never_raises_on_any_text(body: str) -> None:
    for box in find_checkboxes(body):
        assert body[box.offset - 1 : box.offset + 2] in ("[ ]", "[x]", "[X]")
