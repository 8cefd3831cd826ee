"""markdown_safe: hostile text renders as itself, on one line, with no HTML and no pings."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.core.markdown_safe import ELLIPSIS, ZWSP, block, code, inline, prose

# GitHub's flavour as far as markdown-it goes: CommonMark, tables, strikethrough, raw HTML on.
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
LIVE_MENTION = re.compile(r"@[A-Za-z0-9-]")
# What GitHub would turn into a link to an issue, a pull request or a commit.
LIVE_REFERENCE = re.compile(r"#\d|(?<![\w-])GH-\d|(?<!\w)[0-9a-f]{7,40}(?!\w)", re.IGNORECASE)
TAG_START = re.compile(r"<[A-Za-z/!?]")
_CONTROLS = {*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029}
_BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# Arbitrary text, and text made mostly of Markdown's own syntax so the parser gets tested.
SYNTAX = "\\`*_{}[]()#+-.!|~$=<>&@:/ \n\r\t\x00\u2028ax1"
TEXT = st.one_of(st.text(max_size=150), st.text(alphabet=SYNTAX, max_size=150))

HOSTILE = [
    "| a | b |",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</details>",
    "@octocat and @everyone and @org/team",
    "[link](javascript:alert(1))",
    "**bold** _em_ ~~gone~~ $x^2$",
    "``` fence ```",
    "a ` b `` c ```` d",
    "# heading",
    "1. item",
    "> quote",
    "line one\r\nline two\rthree\nfour",
    "&lt;entity&gt; &#64;octocat",
    "trailing backslash \\",
    "\u202eevil\u202c",
    "acme/other#12 and #7 and GH-3 and gh-4",
    "fixed in 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b and deadbee",
    "test_retry[1234567] owner/repo@a1b2c3d",
]


def _one_line(text: str) -> str:
    """The reference normalisation: controls to spaces, bidi overrides gone, ends stripped."""
    text = text.replace("\r\n", "\n")
    mapped = "".join(" " if ord(c) in _CONTROLS else c for c in text if ord(c) not in _BIDI)
    return mapped.strip(" ")


def _paragraph_children(markdown: str) -> list[Token]:
    tokens = MD.parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    return tokens[1].children or []


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_renders_hostile_text_as_plain_text(text: str) -> None:
    out = inline(text)
    children = _paragraph_children(out)
    assert {c.type for c in children} == {"text"}
    shown = "".join(c.content for c in children)
    assert shown.replace(ZWSP, "") == _one_line(text).replace(ZWSP, "")
    assert not LIVE_MENTION.search(shown)
    assert not LIVE_REFERENCE.search(shown)
    assert "\n" not in out
    assert "\r" not in out
    assert not LIVE_MENTION.search(out)
    assert not TAG_START.search(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_inline_keeps_a_table_cell_whole(text: str) -> None:
    table = f"| name | n |\n| --- | --- |\n| {inline(text)} | 1 |\n"
    tokens = MD.parse(table)
    cells = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "td_open"]
    assert len(cells) == 2
    assert cells[1] == "1"


@pytest.mark.parametrize("text", HOSTILE)
def test_code_is_one_span_holding_the_text(text: str) -> None:
    out = code(text)
    children = _paragraph_children(out)
    assert [c.type for c in children] == ["code_inline"]
    expected = _one_line(text).replace("@", "@" + ZWSP)
    assert children[0].content == re.sub(r"<(?=[A-Za-z/!?])", "<" + ZWSP, expected)
    assert not TAG_START.search(out)


def test_code_fence_outgrows_backtick_runs() -> None:
    assert code("a ``` b") == "````a ``` b````"
    assert code("`x`") == "`` `x` ``"
    assert code("") == "` `"


def test_prose_keeps_the_authors_code_spans_and_escapes_the_rest() -> None:
    out = prose("`test_engine.py`: 5/5 tests passing <= **all**")
    children = _paragraph_children(out)
    assert [c.type for c in children] == ["code_inline", "text"]
    assert children[0].content == "test_engine.py"
    assert children[1].content == ": 5/5 tests passing <= **all**"


def test_block_cannot_be_closed_from_inside() -> None:
    text = "Traceback\n```\n````\n~~~\n</details>\n@octocat"
    tokens = MD.parse(block(text) + "\nafter\n")
    assert [t.type for t in tokens][:1] == ["fence"]
    assert tokens[0].content.startswith("Traceback\n```\n````\n~~~\n")
    assert tokens[1].type == "paragraph_open"
    assert not LIVE_MENTION.search(block(text))


def test_long_text_is_trimmed_with_an_ellipsis() -> None:
    out = inline("x" * 500, limit=10)
    assert out == "x" * 9 + ELLIPSIS
    assert code("y" * 500, limit=10) == "`" + "y" * 9 + ELLIPSIS + "`"


def test_block_keeps_head_and_tail() -> None:
    text = "\n".join(f"line {i}" for i in range(1000))
    out = block(text, limit=300)
    assert "line 0\n" in out
    assert "line 999\n" in out
    assert "characters omitted" in out
    assert len(out) < 400


def test_megabyte_strings_cost_little() -> None:
    huge = "@`|<" * 250_000
    started = time.perf_counter()
    outputs = [inline(huge), code(huge), prose(huge), block(huge)]
    assert time.perf_counter() - started < 1.0
    assert all(len(out) < 20_000 for out in outputs)
    assert len(code(huge)) < 1000  # the fence is sized on the trimmed text


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_inline_is_plain_text_for_any_input(text: str) -> None:
    out = inline(text)
    assert "\n" not in out
    assert "\r" not in out
    assert not LIVE_MENTION.search(out)
    assert "<" not in out
    expected = _one_line(text).replace(ZWSP, "").strip()
    tokens = MD.parse(out)
    if not expected:  # a stranger's lone zero-width space shows as nothing, like ours
        assert not any(t.type == "inline" and t.content.replace(ZWSP, "").strip() for t in tokens)
        return
    children = _paragraph_children(out)
    assert {c.type for c in children} == {"text"}
    shown = "".join(c.content for c in children)
    assert shown.replace(ZWSP, "").strip() == expected
    assert not LIVE_MENTION.search(shown)
    assert not LIVE_REFERENCE.search(shown)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_code_is_exactly_one_span_for_any_input(text: str) -> None:
    out = code(text)
    assert "\n" not in out
    assert "\r" not in out
    assert not LIVE_MENTION.search(out)
    assert not TAG_START.search(out)
    children = _paragraph_children(out)
    assert [c.type for c in children] == ["code_inline"]
    expected = re.sub(r"<(?=[A-Za-z/!?])", "<" + ZWSP, _one_line(text).replace("@", "@" + ZWSP))
    assert children[0].content == (expected or " ")


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_prose_makes_only_text_and_code_for_any_input(text: str) -> None:
    out = prose(text)
    assert "\n" not in out
    assert not LIVE_MENTION.search(out)
    assert not TAG_START.search(out)
    for token in MD.parse(out):
        assert token.type in ("paragraph_open", "inline", "paragraph_close")
        assert {c.type for c in token.children or []} <= {"text", "code_inline"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_block_is_exactly_one_fence_for_any_input(text: str) -> None:
    out = block(text)
    assert not LIVE_MENTION.search(out)
    assert not TAG_START.search(out)
    tokens = MD.parse(out)
    assert [t.type for t in tokens] == ["fence"]


@pytest.mark.parametrize(
    "text",
    [
        "acme/other#12",
        "see #3",
        "GH-44",
        "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
        "acme/r@a1b2c3d",
    ],
)
def test_stranger_text_links_no_issue_pull_request_or_commit(text: str) -> None:
    for rendered in (inline(text), prose(text)):
        shown = "".join(c.content for c in _paragraph_children(rendered))
        assert not LIVE_REFERENCE.search(shown), rendered
        assert shown.replace(ZWSP, "") == text


def test_references_stay_readable_in_code_spans() -> None:
    """GitHub links nothing inside code, so an author's code span keeps its text as written."""
    assert code("acme/other#12") == "`acme/other#12`"
    assert "`#12 1a2b3c4d`" in prose("fails `#12 1a2b3c4d`")
