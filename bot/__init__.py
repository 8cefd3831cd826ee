"""remediation-bot: keeps remediation issues true from CI test results."""

__version__ = "0.1.0"
