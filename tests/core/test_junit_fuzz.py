"""The JUnit reader under fuzzing: any bytes give results or a ReportError, never a crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import junit
from bot.core.results import CaseResult
from bot.errors import ReportError

TAGS = ["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "properties",
        "property", "system-out", "flakyFailure", "rerunError", "x"]  # fmt: skip
ATTRS = ["name", "classname", "file", "time", "status", "message", "type", "value", "id"]

attribute = st.tuples(st.sampled_from(ATTRS), st.text(max_size=20)).map(
    lambda pair: f' {pair[0]}="{pair[1].replace("&", "").replace("<", "").replace(chr(34), "")}"'
)


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = "".join(draw(st.lists(attribute, max_size=3)))
    if depth > 4 or draw(st.booleans()):
        return f"<{tag}{attrs}/>"
    children = "".join(draw(st.lists(element(depth + 1), max_size=4)))
    text = draw(
        st.text(
            alphabet=st.characters(exclude_characters="<&", exclude_categories=["Cs"]),
            max_size=10,
        )
    )
    return f"<{tag}{attrs}>{text}{children}</{tag}>"


def _read(data: bytes) -> None:
    try:
        report = junit.read_report(data, name="fuzz.xml", max_bytes=1_000_000)
    except ReportError as exc:
        assert str(exc).startswith("fuzz.xml")  # noqa: PT017 - the message must name the file
        return
    assert report.totals.tests == len(report.cases)
    assert all(isinstance(c, CaseResult) for c in report.cases)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    _read(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(element())
def test_junit_shaped_documents(document: str) -> None:
    _read(document.encode("utf-8"))
    _read(b"\xef\xbb\xbf" + document.encode("utf-8"))


@settings(max_examples=100, deadline=None)
@given(element(), st.integers(min_value=1, max_value=200))
def test_truncated_documents(document: str, cut: int) -> None:
    data = document.encode("utf-8")
    _read(data[: max(1, len(data) - cut)])
