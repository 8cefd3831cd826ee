"""The bot's exception hierarchy, written out in one place.

BotError
├── ReportError            a test report could not be read (the file is named in the message)
│   ├── ReportTooLarge     above the configured size limit; nothing was parsed
│   ├── MalformedReport    not well-formed XML (line and column given)
│   ├── HostileReport      a DTD or entity declaration: refused before anything is expanded
│   └── NotJUnitReport     well-formed XML whose root is not <testsuites>/<testsuite>
├── RuleError              an explicit metric rule does not follow the grammar
└── ConfigurationError     a setting is missing or contradictory
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""


class ReportError(BotError):
    """A test report could not be read; the message names the file and says what was wrong."""


class ReportTooLarge(ReportError):
    """The report is larger than the configured limit."""


class MalformedReport(ReportError):
    """The report is not well-formed XML."""


class HostileReport(ReportError):
    """The report declares a DTD or entities, which are never expanded."""


class NotJUnitReport(ReportError):
    """The report is XML but not JUnit."""


class RuleError(BotError):
    """An explicit metric rule does not follow the grammar; the message shows the usage."""


class ConfigurationError(BotError):
    """A setting is missing or contradictory."""
