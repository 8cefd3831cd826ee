"""`.github/remediation.yml`: a repository's own settings for the bot, read and checked.

Pure module, no I/O: it parses text (YAML, safe loader) into a typed, validated object. Example:

    label: remediation            # issues with this label are tracked
    branches: [main]              # runs of these branches tick boxes (default: the default branch)
    artifacts: ["junit-*", "test-results"]   # artifact name globs (default: all)
    tick_after: 2                 # met in 2 consecutive qualifying runs before ticking
    untick_regressions: false     # untick a bot-ticked item that becomes unmet
    rules:                        # explicit metric rules, by item text or index
      - item: "Memory usage remains stable under 250MB"
        rule: "memory <= 260MB"
      - index: 3
        rule: "duration each < 0.5s"
    map:                          # failures -> phases, by test pattern (glob or selector)
      - tests: "tests/legacy/*"
        phase: 2
    ignore:                       # excluded from metrics, still shown
      - "tests/flaky/test_network.py"
    open_issues: false            # open a drafted, tracked issue for failures no issue covers
    open_issues_per_day: 3        # at most this many such issues a day (one per run at most)
    close_when_met: false         # close the issue when every criterion is met and ticked
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.mapping import MapRule
from bot.errors import ConfigurationError

MAX_CONFIG_BYTES = 64 * 1024


class RuleEntry(BaseModel):
    """An explicit rule for one checklist item, found by its text or its index."""

    model_config = ConfigDict(extra="forbid")
    item: str | None = None
    index: int | None = Field(default=None, ge=0)
    rule: str

    @model_validator(mode="after")
    def _one_target(self) -> RuleEntry:
        if (self.item is None) == (self.index is None):
            raise ValueError("give exactly one of `item` (its text) or `index`")
        return self


class MapEntry(BaseModel):
    """Tests matching `tests` belong to phase `phase`."""

    model_config = ConfigDict(extra="forbid")
    tests: str = Field(min_length=1)
    phase: int = Field(ge=1)


class RepoConfig(BaseModel):
    """What a repository can configure; every field has a safe default."""

    model_config = ConfigDict(extra="forbid")
    label: str = "remediation"
    branches: list[str] | None = None
    artifacts: list[str] = Field(default_factory=lambda: ["*"])
    tick_after: int = Field(default=1, ge=1, le=20)
    untick_regressions: bool = False
    gate: bool = True  # publish the regression-gate check run (GitHub App mode)
    gate_name: str = Field(default="remediation / regression gate", min_length=1, max_length=100)
    gate_issues: list[int] | None = None  # issues whose plans count as known (default: all)
    untick_after: int = Field(default=1, ge=1, le=20)  # unmet runs in a row before unticking
    flaky_window: int = Field(default=10, ge=2, le=100)  # runs a flip rate is measured over
    flaky_min_runs: int = Field(default=5, ge=2, le=100)  # runs before a test can be called flaky
    rules: list[RuleEntry] = Field(default_factory=list)
    map: list[MapEntry] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    open_issues: bool = False  # draft and open an issue for default-branch failures none covers
    open_issues_per_day: int = Field(default=3, ge=1, le=50)
    close_when_met: bool = False  # close a tracked issue once every criterion is met and ticked

    def rule_overrides(self, item_texts: list[str]) -> dict[int, str]:
        """Item index -> rule text, for `plan.parse(rule_overrides=...)`."""
        overrides: dict[int, str] = {}
        for entry in self.rules:
            if entry.index is not None:
                overrides[entry.index] = entry.rule
                continue
            for index, text in enumerate(item_texts):
                if text.strip() == (entry.item or "").strip():
                    overrides[index] = entry.rule
        return overrides

    def map_rules(self) -> list[MapRule]:
        """The `map` entries as mapping rules."""
        return [MapRule(pattern=entry.tests, phase=entry.phase) for entry in self.map]

    def branches_or_default(self, default_branch: str | None) -> list[str]:
        """The branches whose runs count: as configured, else the repository's default."""
        return self.branches or [default_branch or "main"]


def parse_config(text: str | None) -> RepoConfig:
    """Read the YAML; a missing file means defaults. Raises `ConfigurationError` with reasons."""
    if text is None or not text.strip():
        return RepoConfig()
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigurationError(f".github/remediation.yml is over {MAX_CONFIG_BYTES:,} bytes")
    import yaml  # only when there is a file: commands without one start without the parser

    try:
        # Aliases let a few bytes expand into a huge structure ("billion laughs"): refused.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, yaml.SafeLoader)):
            raise ConfigurationError(".github/remediation.yml: anchors and aliases are not allowed")
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f".github/remediation.yml is not valid YAML: {exc}") from None
    if data is None:
        return RepoConfig()
    if not isinstance(data, dict):
        raise ConfigurationError(".github/remediation.yml must be a mapping of settings")
    try:
        return RepoConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f".github/remediation.yml: {problems}") from None


def parse_or_default(text: str | None) -> tuple[RepoConfig, str | None]:
    """The configuration, or the defaults and the problem that made `text` unusable."""
    try:
        return parse_config(text), None
    except ConfigurationError as exc:
        return RepoConfig(), str(exc)
