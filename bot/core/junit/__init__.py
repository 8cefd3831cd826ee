"""JUnit XML -> test results, streaming: the only package that reads XML (lxml, junitparser)."""

from bot.core.junit.reader import (
    DEFAULT_MAX_BYTES,
    FileSummary,
    ParsedReport,
    Report,
    check_report,
    iter_report,
    read_report,
    summarize_file,
)
from bot.core.junit.target import (
    JUNIT_ROOTS,
    MAX_DETAILS_CHARS,
    MAX_IDENTIFIER_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_OUTPUT_CHARS,
    NOT_RUN_STATUSES,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "JUNIT_ROOTS",
    "MAX_DETAILS_CHARS",
    "MAX_IDENTIFIER_CHARS",
    "MAX_MESSAGE_CHARS",
    "MAX_OUTPUT_CHARS",
    "NOT_RUN_STATUSES",
    "FileSummary",
    "ParsedReport",
    "Report",
    "check_report",
    "iter_report",
    "read_report",
    "summarize_file",
]
