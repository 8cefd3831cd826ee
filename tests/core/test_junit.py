"""The JUnit reader over the real corpus of runner dialects, and over hostile input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.core import junit
from bot.core.results import CaseResult, Outcome
from bot.errors import HostileReport, MalformedReport, NotJUnitReport, ReportTooLarge

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIXTURES / "junit"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text())["files"]

# Where we judge a case differently from the corpus' element-only count (see bot/junit.py):
# ten `status="disabled"` test cases without a <skipped> child count as skipped, not passed.
DELIBERATE_DIFFERENCES = {
    "action-junit-report/issues/testDisabled.xml": {"passed": -10, "skipped": +10},
}


def _is_junit(entry: dict[str, Any]) -> bool:
    return bool(entry.get("well_formed")) and entry.get("root") in junit.JUNIT_ROOTS


def _expected_totals(path: str, entry: dict[str, Any]) -> dict[str, int]:
    totals = {
        "tests": entry["testcases"],
        "passed": entry["passed"],
        "failed": entry["failures"],
        "errors": entry["errors"],
        "skipped": entry["skipped"],
    }
    for key, delta in DELIBERATE_DIFFERENCES.get(path, {}).items():
        totals[key] += delta
    return totals


@pytest.mark.parametrize("path", sorted(p for p, e in EXPECTED.items() if _is_junit(e)))
def test_corpus_totals_match_expected(path: str) -> None:
    summary = junit.summarize_file(CORPUS / path)
    assert summary.error is None
    assert summary.totals.as_dict() == _expected_totals(path, EXPECTED[path])


@pytest.mark.parametrize("path", sorted(p for p, e in EXPECTED.items() if not _is_junit(e)))
def test_corpus_unreadable_files_get_a_clear_error_and_zero_totals(path: str) -> None:
    summary = junit.summarize_file(CORPUS / path)
    assert summary.error is not None
    assert summary.error.startswith(str(CORPUS / path))
    assert summary.totals.tests == 0


def test_every_corpus_file_is_covered() -> None:
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.is_file() and p.suffix in {".xml", ".junit-xml", ".golden"}
    }
    assert on_disk == set(EXPECTED)


def test_malformed_report_names_file_and_line() -> None:
    path = CORPUS / "publish-unit-test-result-action/junit-xml/pytest/corrupt-xml.xml"
    with pytest.raises(MalformedReport, match=r"corrupt-xml\.xml: malformed XML at line 11"):
        junit.read_report(path)


def test_truncated_cdata_says_the_file_is_cut_off() -> None:
    path = next(CORPUS.glob("action-junit-report/corrupt-junit/**/TEST-test.CorruptTest.xml"))
    with pytest.raises(MalformedReport, match=r"line 18.*truncated"):
        junit.read_report(path)


def test_non_junit_xml_says_which_root_it_found() -> None:
    path = CORPUS / "publish-unit-test-result-action/junit-xml/non-junit.xml"
    with pytest.raises(NotJUnitReport, match="root element <suites>"):
        junit.read_report(path)


def _cases(path: str) -> list[CaseResult]:
    return junit.read_report(CORPUS / path).cases


def test_surefire_reruns_are_kept_without_changing_the_outcome() -> None:
    cases = {c.name: c for c in _cases("publish-unit-test-result-action/junit-xml/flaky.xml")}
    assert cases["throwsAlways"].outcome is Outcome.ERROR
    assert cases["throwsAlways"].reruns == 3
    assert cases["failsAssertionAlways"].outcome is Outcome.FAILED
    assert not cases["failsAssertionAlways"].flaky
    assert cases["failsAssertionOnlyFirstAttempt"].outcome is Outcome.PASSED
    assert cases["failsAssertionOnlyFirstAttempt"].flaky
    assert cases["throwsOnlyFirstAttempt"].flaky


def test_surefire_flaky_error_with_stack_trace_children() -> None:
    cases = _cases(
        "maven-surefire/surefire-report-parser/fixture/testsuitexmlparser/TEST-org.acme.FlakyTest.xml"
    )
    assert [c.outcome for c in cases] == [Outcome.PASSED, Outcome.PASSED]
    assert [(c.name, c.flaky, c.reruns) for c in cases] == [
        ("testFlaky", True, 4),
        ("testStable", False, 0),
    ]


def test_failure_precedes_error_precedes_skipped() -> None:
    cases = _cases("publish-unit-test-result-action/junit-xml/junit.multiresult.xml")
    assert sorted(c.outcome for c in cases) == sorted(
        [Outcome.FAILED, Outcome.FAILED, Outcome.SKIPPED, Outcome.PASSED]
    )


def test_not_run_status_counts_as_skipped_and_run_status_defers_to_children() -> None:
    disabled = _cases("action-junit-report/issues/testDisabled.xml")
    assert sum(c.outcome is Outcome.SKIPPED for c in disabled) == 10
    catch2 = _cases("action-junit-report/catch2/report.xml")
    assert [c.outcome for c in catch2 if c.message] == [Outcome.FAILED]


def test_suite_and_case_properties_are_read() -> None:
    report = junit.read_report(CORPUS / "junit-plugin/junit-report-with-properties.xml")
    assert report.suites[0].properties["prop1"] == "value1"
    assert report.suites[0].properties["multiline"].startswith("Config line 1")
    assert report.cases[0].properties == {"description": "description of test testCaseA"}


def test_pytest_record_property_and_xfail() -> None:
    cases = _cases("test-reporter/fixtures/python-xunit-pytest.xml")
    assert any(c.properties for c in cases)
    assert any(c.failure_type == "pytest.xfail" for c in cases)


def test_skipped_message_and_failure_text_only() -> None:
    skipped = _cases("junit-plugin/SKIPPED_MESSAGE/skippedTestResult.xml")[0]
    assert skipped.outcome is Outcome.SKIPPED
    assert skipped.details
    failure = _cases("test-summary-action/08-failure-noattr-only-innertext.xml")[0]
    assert failure.outcome is Outcome.FAILED
    assert failure.message  # first line of the text when there is no message attribute


def test_nested_suites_name_their_cases() -> None:
    cases = _cases("action-junit-report/nested/junit.xml")
    assert {c.suite for c in cases} == {"TestA", "TestB", "packet"}


def test_identity_uses_file_or_classname() -> None:
    pytest_case = _cases("publish-unit-test-result-action/junit-xml/pytest/junit.fail.xml")[0]
    assert pytest_case.test_id.endswith(f"::{pytest_case.name}")
    same_name = _cases("junit-plugin/JENKINS-30413.xml")
    assert len({c.test_id for c in same_name}) == 2


def test_bom_non_ascii_and_missing_attributes() -> None:
    bom = junit.summarize_file(CORPUS / "publish-unit-test-result-action/junit-xml/xunit/xunit.xml")
    assert bom.error is None
    assert bom.totals.tests == 2
    bare = _cases("publish-unit-test-result-action/junit-xml/no-attributes.xml")
    assert [c.name for c in bare] == ["", "", "", ""]
    assert all(c.duration is None for c in bare)


def test_negative_duration_is_unknown() -> None:
    cases = _cases("junit-plugin/junit-report-bad-duration.xml")
    assert any(c.duration is None for c in cases)


# Hostile and extreme input ------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuite name="x"><testcase name="a"><failure message="&lol3;"/></testcase></testsuite>
"""


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(HostileReport, match="DTD or entities"):
        junit.read_report(BILLION_LAUGHS, name="laughs.xml")


def test_external_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    hostile = (
        f'<?xml version="1.0"?>\n<!DOCTYPE t [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<testsuite name="x"><testcase name="a"><failure message="&xxe;">&xxe;</failure>'
        "</testcase></testsuite>"
    ).encode()
    with pytest.raises(HostileReport) as caught:
        junit.read_report(hostile, name="xxe.xml")
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_doctype_after_a_long_comment_is_still_refused() -> None:
    padding = b"<!-- " + b"x" * 100_000 + b" -->\n"
    hostile = padding + BILLION_LAUGHS.split(b"\n", 1)[1]
    with pytest.raises((HostileReport, MalformedReport)):
        junit.read_report(hostile, name="late-doctype.xml")


def test_parameter_entity_to_the_network_is_refused() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % sp SYSTEM "http://127.0.0.1:9/x.dtd">'
        b"%sp;]><testsuite/>"
    )
    with pytest.raises(HostileReport):
        junit.read_report(hostile, name="oob.xml")


def test_huge_system_out_and_deep_nesting_are_still_read() -> None:
    big_out = "y" * (11 * 1024 * 1024)
    deep = "<testsuite name='s'>" * 300 + "<testcase name='deep'/>" + "</testsuite>" * 300
    document = (
        f"<testsuites><testsuite name='top'><testcase name='loud'><system-out>{big_out}"
        f"</system-out></testcase></testsuite>{deep}</testsuites>"
    ).encode()
    report = junit.read_report(document, name="big.xml")
    assert [c.name for c in report.cases] == ["loud", "deep"]
    loud = report.cases[0]
    assert loud.system_out is not None
    assert len(loud.system_out) < 10_000  # trimmed, head and tail kept
    assert "characters trimmed" in loud.system_out


def test_file_above_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<testsuite>" + b" " * 2048 + b"</testsuite>")
    with pytest.raises(ReportTooLarge, match="1,024-byte limit"):
        junit.read_report(path, max_bytes=1024)
    summary = junit.summarize_file(path, max_bytes=1024)
    assert summary.error is not None
    assert "MAX_REPORT_BYTES" in summary.error


def test_stream_above_the_size_limit_is_refused_while_reading() -> None:
    import io

    stream = io.BytesIO(b"<testsuite>" + b"<testcase name='a'/>" * 5000 + b"</testsuite>")
    with pytest.raises(ReportTooLarge):
        list(junit.iter_report(stream, name="upload", max_bytes=10_000))


def test_binary_garbage_is_malformed() -> None:
    with pytest.raises(MalformedReport):
        junit.read_report(bytes(range(256)) * 10, name="garbage.bin")


def test_empty_file_is_malformed(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    assert junit.summarize_file(empty).error is not None


def test_missing_file_is_reported_not_raised(tmp_path: Path) -> None:
    summary = junit.summarize_file(tmp_path / "nope.xml")
    assert summary.error is not None
    assert "cannot read" in summary.error


def test_very_long_names_are_capped_but_stay_distinct() -> None:
    long_a = "a" * 5000 + "1"
    long_b = "a" * 5000 + "2"
    document = (
        f"<testsuite><testcase name='{long_a}'/><testcase name='{long_b}'/></testsuite>"
    ).encode()
    cases = junit.read_report(document).cases
    assert all(len(c.name) <= junit.MAX_IDENTIFIER_CHARS for c in cases)
    assert cases[0].name != cases[1].name


def test_long_tracebacks_keep_head_and_tail() -> None:
    trace = "first line\n" + "middle\n" * 10_000 + "AssertionError: the real cause"
    document = (
        f"<testsuite><testcase name='t'><failure message='boom'>{trace}</failure></testcase>"
        "</testsuite>"
    ).encode()
    case = junit.read_report(document).cases[0]
    assert case.details is not None
    assert case.details.startswith("first line")
    assert case.details.endswith("AssertionError: the real cause")
    assert len(case.details) <= junit.MAX_DETAILS_CHARS + 100


def test_ampersands_in_attributes_read_as_written() -> None:
    """`&amp;` in an attribute is `&` (libxml2 hands it over as `&#38;` without entities)."""
    xml = (
        b'<testsuite name="s&amp;t"><testcase classname="a.b" name="x&amp;y &amp;#38; &lt;z&gt;">'
        b'<failure message="m&amp;n" type="E&amp;F">t &amp; u</failure></testcase></testsuite>'
    )
    (case,) = junit.read_report(xml, name="amp.xml").cases
    assert (case.name, case.suite, case.message) == ("x&y &#38; <z>", "s&t", "m&n")
    assert case.details is not None
    assert "t & u" in case.details


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_an_ampersand_first_seen_far_into_a_report_is_read_as_written(encoding: str) -> None:
    """The reader looks for escaped `&` only once the bytes hold one: past the first chunks."""
    plain = "".join(f'<testcase classname="c" name="t{i}"/>' for i in range(20_000))
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?><testsuite name="s">{plain}'
        '<testcase classname="a&amp;b" name="x &amp;#38; y"/></testsuite>'
    ).encode(encoding)
    assert len(xml) > 512 * 1024  # the `&` arrives in a later chunk
    *_, last = junit.read_report(xml, name="far.xml").cases
    assert (last.classname, last.name) == ("a&b", "x &#38; y")
