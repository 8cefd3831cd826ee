"""Issue Markdown task lists: find the checkboxes, tick them without touching anything else.

Pure module (no I/O): it parses with markdown-it-py (CommonMark and GFM tables) and edits
strings. Rules:

- A task-list item is GitHub's: a list item whose first block is a paragraph starting with
  `[ ]`, `[x]` or `[X]` then whitespace or end of line. Code blocks, HTML blocks and inline
  code never hold one.
- Positions are computed on the original body (CRLF, lone CR, a BOM are all kept), so
  `tick` changes only the state characters it decides and every other character stays.
- A decision follows its item by text when items move; an ambiguous or missing text, or
  contradictory decisions for one item, change nothing. A person's tick is never undone:
  only ticks the bot made can be taken back.
- Content nested deeper than `MAX_NESTING` containers is ignored; what follows it is not.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token
from markdown_it.utils import EnvType

# Container levels (a list counts 2: list and item; a blockquote 1) past which content is
# ignored, so items are found down to depth 48. markdown-it's own limit (`maxNesting`, 20 in
# its commonmark preset) drops the whole rest of the document once hit, and parsing recurses
# per level, so a few hundred levels would overflow Python's stack.
MAX_NESTING = 100

_BOX = re.compile(r"\[([ xX])\](?=[ \t\n]|$)")
_NEWLINE = re.compile(r"\r\n|\r|\n")  # markdown-it's line endings (CommonMark's)
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Checkbox:
    """One task-list item of an issue body."""

    index: int  # among the body's task-list items, from 0
    text: str  # after the box, first line only, stripped
    checked: bool
    line: int  # 0-based; lines end at \r\n, \n or \r as in CommonMark
    offset: int  # of the state character (' ', 'x' or 'X') in the original body
    depth: int  # list nesting, 0 at top level
    comment: str | None  # an HTML comment on the item's first line, delimiters stripped
    more: str = ""  # the paragraph's further lines, joined by spaces ("Verify:" + a command)
    nested: str = ""  # first lines of the item's nested list, one per line ("File: `x`")


@dataclass(frozen=True, slots=True)
class Decision:
    """The desired state of the item at `index`, made for the item reading `text`."""

    index: int
    text: str
    checked: bool


def _depth_guard(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Swallow a line nested too deep, so deep content is skipped but what follows is kept."""
    if state.level < MAX_NESTING:
        return False
    if not silent:
        state.line = start_line + 1
    return True


def guarded_parser() -> MarkdownIt:
    """A CommonMark + tables parser whose nesting limit skips deep content, not the rest."""
    # GitHub parses GFM tables: a row like `- [ ] a | b` over `--- | ---` is a table, no task.
    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING + 10}).enable("table")
    md.block.ruler.before("table", "depth_guard", _depth_guard)
    return md


def _parser() -> MarkdownIt:
    md = guarded_parser()
    # Inline parsing runs only for task items (`_comment`): most of the cost, rarely needed.
    md.core.ruler.disable(["inline", "text_join"])
    return md


_MD = _parser()


def _line_spans(body: str) -> list[tuple[int, int]]:
    """The (start, end) of each line of `body`, newline excluded."""
    spans: list[tuple[int, int]] = []
    start = 0
    for newline in _NEWLINE.finditer(body):
        spans.append((start, newline.start()))
        start = newline.end()
    spans.append((start, len(body)))
    return spans


def _comment(inline: Token, env: EnvType) -> str | None:
    """The text of the first HTML comment on the first line of a paragraph, if any."""
    if "<!--" not in inline.content:
        return None
    children: list[Token] = []
    _MD.inline.parse(inline.content, _MD, env, children)
    for child in children:
        if child.type in ("softbreak", "hardbreak"):
            return None
        if child.type == "html_inline" and child.content.startswith("<!--"):
            return child.content.removeprefix("<!--").removesuffix("-->").strip()
    return None


_MORE = 2000  # characters of an item's further lines the reader may look at


def _checkbox(
    body: str, spans: list[tuple[int, int]], inline: Token, env: EnvType, index: int, depth: int
) -> Checkbox | None:
    """The checkbox a task-item paragraph starts with, located in the original body."""
    match = _BOX.match(inline.content)
    if match is None or inline.map is None:
        return None
    line = inline.map[0]
    start, end = spans[line]
    # Container markers (`>`, `-*+`, digits, `.)`, blanks) never contain `[`, so the first
    # one on the paragraph's first line is the box.
    bracket = body.find("[", start, end)
    if bracket < 0 or body[bracket + 1 : bracket + 3] != match[1] + "]":
        return None  # cannot happen with markdown-it's line map; never guess a position
    return Checkbox(
        index=index,
        text=body[bracket + 3 : end].strip(),
        checked=match[1] != " ",
        line=line,
        offset=bracket + 1,
        depth=depth,
        comment=_comment(inline, env),
        more=" ".join(part.strip() for part in inline.content.splitlines()[1:])[:_MORE],
    )


def find_checkboxes(body: str) -> list[Checkbox]:
    """The body's task-list items, in document order."""
    # cmark (GitHub) skips a leading BOM; markdown-it would read it as text.
    env: EnvType = {}  # link reference definitions, for inline parsing
    tokens = _MD.parse(body.removeprefix(_BOM), env)
    spans = _line_spans(body)
    boxes: list[Checkbox] = []
    open_items = 0
    for i, token in enumerate(tokens):
        if token.type == "list_item_close":
            open_items -= 1
        elif token.type == "list_item_open":
            open_items += 1
            if tokens[i + 1].type == "paragraph_open":
                box = _checkbox(body, spans, tokens[i + 2], env, len(boxes), open_items - 1)
                if box is not None:
                    boxes.append(replace(box, nested=_nested(tokens, i + 3)))
    return boxes


_NESTED_LINES = 10  # lines of an item's nested list the reader may look at ("- File: `x`")


def _nested(tokens: list[Token], start: int) -> str:
    """The first lines inside an item after its own paragraph, up to the item's end."""
    lines: list[str] = []
    depth = 0
    for token in tokens[start:]:
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            if depth == 0:
                break
            depth -= 1
        elif token.type == "inline" and depth > 0:
            # without a nested box's state: ticking a sub-item leaves its parent's reading
            lines.append(_BOX.sub("", token.content.split("\n", 1)[0]))
            if len(lines) >= _NESTED_LINES:
                break
    return "\n".join(lines)


def _target(boxes: list[Checkbox], decision: Decision) -> Checkbox | None:
    """The item a decision is for: at its index if the text still matches, else by text."""
    if 0 <= decision.index < len(boxes) and boxes[decision.index].text == decision.text:
        return boxes[decision.index]
    same_text = [box for box in boxes if box.text == decision.text]
    return same_text[0] if len(same_text) == 1 else None


def _wanted(boxes: list[Checkbox], decisions: Iterable[Decision]) -> dict[int, bool]:
    """The desired state per item index; items given contradictory decisions are left out."""
    wanted: dict[int, bool] = {}
    contradicted: set[int] = set()
    for decision in decisions:
        box = _target(boxes, decision)
        if box is None:
            continue
        if wanted.setdefault(box.index, decision.checked) != decision.checked:
            contradicted.add(box.index)
    return {index: state for index, state in wanted.items() if index not in contradicted}


def tick(body: str, decisions: Iterable[Decision], *, bot_ticked: Collection[str] = ()) -> str:
    """The body with decided items ticked or unticked; only their state characters change.

    An item is unticked only if its text is in `bot_ticked` (the bot ticked it before).
    """
    boxes = find_checkboxes(body)
    edits: dict[int, str] = {}
    for index, checked in _wanted(boxes, decisions).items():
        box = boxes[index]
        if checked and not box.checked:
            edits[box.offset] = "x"
        elif not checked and box.checked and box.text in bot_ticked:
            edits[box.offset] = " "
    if not edits:
        return body
    chars = list(body)
    for offset, state in edits.items():
        chars[offset] = state
    return "".join(chars)
