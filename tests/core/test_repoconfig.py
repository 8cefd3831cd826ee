"""`.github/remediation.yml`: defaults, rules, mapping, and clear errors."""

from __future__ import annotations

import pytest

from bot.core import plan as plan_module
from bot.core.metrics.base import MetricKind
from bot.core.repoconfig import RepoConfig, parse_config
from bot.errors import ConfigurationError

EXAMPLE = """
label: fix-plan
branches: [main, release]
artifacts: ["junit-*"]
tick_after: 2
untick_regressions: true
rules:
  - item: "Memory usage remains stable under 250MB"
    rule: "memory <= 260MB"
  - index: 0
    rule: "manual"
map:
  - tests: "tests/legacy/*"
    phase: 2
ignore:
  - "tests/flaky/test_network.py"
"""


def test_missing_or_empty_file_means_defaults() -> None:
    assert parse_config(None) == RepoConfig()
    assert parse_config("   \n") == RepoConfig()
    assert parse_config("# only a comment\n") == RepoConfig()


def test_full_example(seed_body: str) -> None:
    config = parse_config(EXAMPLE)
    assert (config.label, config.tick_after, config.untick_regressions) == ("fix-plan", 2, True)
    assert config.map_rules()[0].phase == 2
    items = [i.text for i in plan_module.parse(seed_body).items]
    overrides = config.rule_overrides(items)
    assert overrides == {2: "memory <= 260MB", 0: "manual"}
    plan = plan_module.parse(seed_body, rule_overrides=overrides)
    assert plan.items[0].metric is None
    assert plan.items[2].metric is not None
    assert plan.items[2].metric.kind is MetricKind.PEAK_MEMORY
    assert plan.items[2].metric.source == "rule"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("label: [unclosed", "not valid YAML"),
        ("- a list", "must be a mapping"),
        ("tick_after: 0", "tick_after"),
        ("colour: blue", "colour"),
        ("rules:\n  - rule: manual", "exactly one of"),
        ("map:\n  - tests: x\n    phase: 0", "map.0.phase"),
        ("a: &x [1]\nb: *x", "aliases are not allowed"),
    ],
)
def test_bad_configuration_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_config(text)
