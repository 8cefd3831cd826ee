"""Untrusted text -> GitHub Markdown that shows the same text and nothing more.

Pure module: no I/O. Test names, failure messages and file names come from strangers' CI
runs. Whatever they contain, the output of these functions cannot leave its container
(paragraph, table cell, code span, fenced block), produces no raw HTML and pings nobody:
GitHub finds @mentions in the text of the rendered HTML, after Markdown escapes and
entities are decoded, so `\\@` or `&#64;` would still ping; a zero-width space after each
`@` is what stops it. Cross-references are found the same way (`#12`, `owner/repo#12`,
`GH-12`, commit SHAs), so they are broken up with zero-width spaces too; code spans and
blocks are never scanned for either.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
ELLIPSIS = "…"

# C0/C1 controls and the Unicode line separators: one-line output turns them into spaces
# (markdown-it and cmark treat CR as a line ending and NUL as U+FFFD).
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
# Bidirectional overrides reorder what the reader sees ("Trojan Source"); they carry no text.
_BIDI = [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ONE_LINE = str.maketrans({**dict.fromkeys(_CONTROLS, " "), **dict.fromkeys(_BIDI)})
_BLOCK = str.maketrans(
    {**dict.fromkeys(c for c in _CONTROLS if c not in (0x09, 0x0A)), **dict.fromkeys(_BIDI)}
)
_STRIP = "".join(map(chr, _CONTROLS)) + " "

# Every character CommonMark or GitHub's extensions (tables, strikethrough, math) read as
# syntax, escaped; `|` included so a table cell never splits.
_ESCAPES = str.maketrans(
    {
        **{c: "\\" + c for c in "\\`*_{}[]()#+-.!|~$="},
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "@": "@" + ZWSP,
    }
)
# In code spans and blocks nothing can be escaped; a zero-width space after `<` keeps a tag
# from ever starting, even if the span lands where HTML is read (a <summary>, say).
# What GitHub autolinks in text: issue numbers (`#12`, `owner/repo#12`), `GH-12`, and runs
# of 7 to 40 hex digits it may take for a commit SHA (broken every 6 digits).
_ISSUE_NUMBER = re.compile(r"#(?=\d)")
_GH_NUMBER = re.compile(r"(?<![\w-])(GH)(?=-\d)", re.IGNORECASE)
_HEX_RUN = re.compile(r"(?<![\w])[0-9a-fA-F]{7,}(?![\w])")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BACKTICKS = re.compile(r"`+")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


def inline(text: str, *, limit: int = 200) -> str:
    """Text safe in a paragraph, heading or table cell: one line, at most `limit` visible chars."""
    return _escape(_one_line(text, limit))


def code(text: str, *, limit: int = 200) -> str:
    """An inline code span nothing inside can close; one line, at most `limit` visible chars.

    Not for table cells: GitHub splits cells on `|` even inside code spans.
    """
    content = _neutralise(_one_line(text, limit)) or " "
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each side of a span, and a span's content may not
    # start or end with a backtick next to the fence: pad, and the parser takes the pad off.
    pad = " " if content[0] == "`" or content[-1] == "`" else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def prose(text: str, *, limit: int = 200) -> str:
    """Like `inline`, but the author's own `code spans` stay code spans (not for tables)."""
    line = _one_line(text, limit)
    pieces: list[str] = []
    start = 0
    for match in _CODE_SPAN.finditer(line):
        pieces.append(_escape(line[start : match.start()]))
        pieces.append(code(match.group(2), limit=len(line)))
        start = match.end()
    pieces.append(_escape(line[start:]))
    return "".join(pieces)


def block(text: str, *, limit: int = 2000) -> str:
    """A fenced code block (tracebacks) nothing inside can close; long text keeps head and tail."""
    body = text.replace("\r\n", "\n").replace("\r", "\n").translate(_BLOCK).strip("\n")
    if len(body) > limit:
        head, tail = body[: limit * 2 // 3], body[len(body) - limit // 3 :]
        omitted = len(body) - len(head) - len(tail)
        body = f"{head}\n{ELLIPSIS} {omitted} characters omitted {ELLIPSIS}\n{tail}"
    body = _neutralise(body)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"


def _one_line(text: str, limit: int) -> str:
    """Controls to spaces, ends stripped, cut to `limit` chars with an ellipsis."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    source = text.lstrip(_STRIP)
    # Cut before translating so a megabyte name costs no more than a short one.
    line = source[: limit + 1].replace("\r\n", "\n").translate(_ONE_LINE).strip(_STRIP)
    if len(line) > limit or len(source) > limit + 1:
        line = line[: limit - 1].rstrip(_STRIP) + ELLIPSIS
    return line


def _escape(text: str) -> str:
    return _unlinked(text).translate(_ESCAPES)


def _unlinked(text: str) -> str:
    """Text in which GitHub finds no cross-reference to an issue, pull request or commit."""
    if "#" in text:
        text = _ISSUE_NUMBER.sub("#" + ZWSP, text)
    text = _GH_NUMBER.sub(r"\1" + ZWSP, text)
    return _HEX_RUN.sub(_broken_hex, text)


def _broken_hex(match: re.Match[str]) -> str:
    run = match.group(0)
    return ZWSP.join(run[i : i + 6] for i in range(0, len(run), 6))


def _neutralise(text: str) -> str:
    return _TAG_START.sub("<" + ZWSP, text.replace("@", "@" + ZWSP))
