"""The OpenAPI schema exercised with schemathesis: no generated request gets a 5xx.

Runs against the served app (uvicorn on loopback, so the dashboard's JSON routes answer)
with the seed story stored, so generated requests reach real repositories and issues too.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import seed_story


@pytest.fixture
def api_schema(bot: RunningBot, github: FakeGitHub, seed_body: str) -> Any:
    """The app's own schema, served with the story stored."""
    seed_story(bot, github, seed_body, runs=1)
    return schemathesis.openapi.from_url(f"{bot.url}/openapi.json")


def test_schema_documents_the_dashboard_api(bot: RunningBot) -> None:
    paths = httpx.get(f"{bot.url}/openapi.json").json()["paths"]
    assert {
        "/api/v1/overview",
        "/api/v1/repos/{owner}/{name}/issues/{number}",
        "/api/v1/repos/{owner}/{name}/tests",
        "/api/v1/operations",
    } <= set(paths)
    issue = paths["/api/v1/repos/{owner}/{name}/issues/{number}"]["get"]
    assert "IssueDetail" in str(issue["responses"]["200"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_no_generated_request_gets_a_server_error(api_schema: Any) -> None:
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(timeout=30)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        check()
    assert failures == []
    assert len(calls) >= 5 * len(operations), calls
