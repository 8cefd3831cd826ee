"""deploy/ checked without a cluster or a Docker engine: schemas, the image's promises, the App.

Kubernetes files go through kubernetes-validate (it ships the Kubernetes JSON schemas: no
network), the compose file through the compose-spec schema that check-jsonschema ships, and
the App manifest against what the code subscribes to and the endpoints it calls.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from bot.config import Settings
from bot.core.events import Event, route

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import complete_run, open_seed_issue, story_zip, summary_comments
from fakes.webhook_sender import load_payload

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
MANIFESTS = sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (what a container must listen on)
KUBERNETES_VERSION = "1.30.0"  # the oldest minor still maintained upstream when written


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _all_resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


def _by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _all_resources() if d["kind"] == kind}


def _container(resource: dict[str, Any]) -> dict[str, Any]:
    (container,) = resource["spec"]["template"]["spec"]["containers"]
    return dict(container)


# -- Kubernetes ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_kubernetes_manifest_is_valid_against_the_schema(path: Path) -> None:
    for resource in _documents(path):
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_misspelt_field() -> None:
    web = json.loads(json.dumps(_by_kind("Deployment")["remediation-bot-web"]))
    web["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS)
    assert {image["name"] for image in kustomization["images"]} == {"remediation-bot"}


def test_web_and_worker_shapes() -> None:
    deployments = _by_kind("Deployment")
    web = _container(deployments["remediation-bot-web"])
    worker = _container(deployments["remediation-bot-worker"])
    assert web["args"][:3] == ["serve", "--host", ALL_INTERFACES]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert worker["args"][0] == "worker"
    assert worker["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port = worker["args"][worker["args"].index("--metrics-port") + 1]
    assert worker["ports"][0]["containerPort"] == int(port)
    config = _by_kind("ConfigMap")["remediation-bot"]["data"]
    assert config["WORKER_ENABLED"] == "false"  # jobs only in the worker Deployment
    for container in (web, worker):
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
    hpa = _by_kind("HorizontalPodAutoscaler")["remediation-bot-worker"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "remediation-bot-worker"
    job = _container(_by_kind("Job")["remediation-bot-migrate"])
    assert job["args"] == ["migrate"]
    service = _by_kind("Service")["remediation-bot-web"]
    ingress_paths = [
        path["path"]
        for rule in _by_kind("Ingress")["remediation-bot"]["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert "/webhooks/github" in ingress_paths
    assert not any(p.startswith("/metrics") for p in ingress_paths)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"


def test_pods_run_as_the_image_user_and_secrets_come_from_the_secret() -> None:
    settings = set(Settings.model_fields)
    for name, resource in {**_by_kind("Deployment"), **_by_kind("Job")}.items():
        pod = resource["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 10001, name
        for variable in _container(resource).get("env", []):
            assert variable["name"].lower() in settings, variable["name"]
            if "SECRET" in variable["name"] or variable["name"] == "DATABASE_URL":
                assert variable["valueFrom"]["secretKeyRef"]["name"] == "remediation-bot"
    config = _by_kind("ConfigMap")["remediation-bot"]["data"]
    assert {key.lower() for key in config} <= settings
    assert not [key for key in config if re.search("SECRET|TOKEN|PASSWORD|DATABASE", key)]


# -- Docker -------------------------------------------------------------------------------

DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_image_installs_the_lock_file_with_the_makefiles_uv() -> None:
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    image_uv = re.search(r"^ARG UV_VERSION=(\S+)", DOCKERFILE, re.M)
    assert makefile_uv
    assert image_uv
    assert image_uv.group(1) == makefile_uv.group(1)
    assert "COPY pyproject.toml uv.lock" in DOCKERFILE
    syncs = re.findall(r"^RUN uv sync (.*)$", DOCKERFILE, re.M)
    assert syncs
    assert all("--frozen" in s and "--no-dev" in s for s in syncs)


def test_image_runs_unprivileged_with_a_healthcheck_and_listens_everywhere() -> None:
    runtime = DOCKERFILE[DOCKERFILE.rindex("\nFROM ") :]  # the last stage is the image
    user = re.findall(r"^USER (\S+)", runtime, re.M)
    assert user
    assert user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", runtime, re.M)
    cmd_line = re.search(r"^CMD (\[.*\])$", runtime, re.M)
    assert cmd_line
    cmd = json.loads(cmd_line.group(1))
    assert cmd[:3] == ["serve", "--host", ALL_INTERFACES]
    assert re.search(r"^ENTRYPOINT \[\"remediation-bot\"\]", runtime, re.M)
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    ignore = [line for line in lines if line and not line.startswith("#")]
    assert ignore[0] == "*"
    assert "!uv.lock" in ignore


# -- compose ------------------------------------------------------------------------------

COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert errors == []
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "web": {"imagee": "x"}}}
    assert list(validator.iter_errors(broken))  # the schema does catch mistakes


def test_compose_runs_postgres_serve_and_workers_with_secrets_from_files() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker"}
    assert services["web"]["command"][:3] == ["serve", "--host", ALL_INTERFACES]
    assert services["web"]["environment"]["WORKER_ENABLED"] == "false"
    assert services["worker"]["command"][0] == "worker"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["env_file"] == [{"path": "./bot.env", "required": True}]
        assert services[name]["secrets"] == ["github_app_private_key"]
    text = (DEPLOY / "docker-compose.yml").read_text()
    assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*\S", text.replace("secrets:", ""))
    ignored = (DEPLOY / ".gitignore").read_text().split()
    assert {"bot.env", "postgres.env", "*.pem"} <= set(ignored)


def test_env_examples_name_real_settings_and_refuse_to_start_unfilled() -> None:
    names = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (DEPLOY / "bot.env.example").read_text().splitlines()
        if re.match(r"#? ?[A-Z_]+=", line)
    }
    assert names <= {name.upper() for name in Settings.model_fields}
    values: dict[str, Any] = dict(
        line.split("=", 1)
        for line in (DEPLOY / "bot.env.example").read_text().splitlines()
        if re.match(r"[A-Z_]+=", line)
    )
    with pytest.raises(ValueError, match="placeholder"):
        Settings(_env_file=None, **{k.lower(): v for k, v in values.items() if v})


# -- the GitHub App manifest --------------------------------------------------------------

APP = json.loads((DEPLOY / "github-app-manifest.json").read_text(encoding="utf-8"))
# Delivered to every App whatever it subscribes to; `default_events` cannot name them.
ALWAYS_DELIVERED = {Event.PING, Event.INSTALLATION, Event.INSTALLATION_REPOSITORIES}
# One recorded delivery per event (fixtures/webhooks/), fed to the router.
SAMPLES = {
    "issues": "issues.opened.1",
    "issue_comment": "issue_comment.created.1",
    "workflow_run": "workflow_run.completed.1",
    "check_run": "check_run.completed.1",
    "check_suite": "check_suite.completed.1",
    "workflow_job": "workflow_job.completed.1",
}
# Each REST path bot/github/client.py calls, and the App permission it needs (GitHub's REST
# docs, "Fine-grained access tokens" / "GitHub App" permission tables).
ENDPOINT_PERMISSIONS = {
    "/repos/{repo}": ("metadata", "read"),
    "/repos/{repo}/collaborators/{user}/permission": ("metadata", "read"),
    "/repos/{repo}/contents/{path}": ("contents", "read"),  # .github/remediation.yml
    "/repos/{repo}/actions/runs/{run_id}/artifacts": ("actions", "read"),
    "/repos/{repo}/actions/artifacts/{artifact_id}/zip": ("actions", "read"),
    "/repos/{repo}/issues": ("issues", "write"),  # open a drafted issue; `sync --label` lists
    "/repos/{repo}/issues/{number}": ("issues", "write"),  # read, and PATCH the body
    "/repos/{repo}/issues/{number}/comments": ("issues", "write"),
    "/repos/{repo}/issues/comments/{comment_id}": ("issues", "write"),
    "/repos/{repo}/issues/comments/{comment_id}/reactions": ("issues", "write"),
    "/repos/{repo}/check-runs": ("checks", "write"),
    "/repos/{repo}/check-runs/{check_run_id}": ("checks", "write"),
    # Finding a fork's pull request by commit, then its sticky feedback comment: PR comments
    # go through the issue-comment endpoints but need Pull requests: write.
    "/repos/{repo}/commits/{sha}/pulls": ("pull_requests", "write"),
}
PLANNED: dict[str, str] = {}


def _sample(event: str) -> dict[str, Any]:
    return dict(json.loads(load_payload(SAMPLES[event])))


def test_app_subscribes_to_exactly_the_events_the_code_acts_on() -> None:
    handled = {e.value for e in Event} - {e.value for e in ALWAYS_DELIVERED}
    assert sorted(APP["default_events"]) == sorted(handled)
    for event in APP["default_events"]:
        assert route(event, _sample(event)).kind is not None, event


@pytest.mark.parametrize("event", ["check_run", "check_suite", "workflow_job"])
def test_events_the_code_does_not_handle_are_not_subscribed(event: str) -> None:
    # check_suite/check_run: nothing in the code acts on them, so the App does not ask for
    # them; Checks: write is for creating the gate's check runs. If GitHub sends them anyway,
    # the webhook answers 202 and records them as ignored.
    assert event not in APP["default_events"]
    assert event not in {e.value for e in Event}
    decision = route(event, _sample(event))
    assert decision.kind is None
    assert decision.reason == f"event {event!r} is not handled"


def test_app_permissions_are_what_the_github_calls_need_and_no_more() -> None:
    source = (ROOT / "bot" / "github" / "client.py").read_text(encoding="utf-8")
    called = set(re.findall(r'f"(/repos/\{repo\}[^"]*)"', source))
    assert called == set(ENDPOINT_PERMISSIONS), "a GitHub call was added or removed: map it"
    levels = {"read": 1, "write": 2}
    needed: dict[str, str] = dict(PLANNED)
    for permission, level in ENDPOINT_PERMISSIONS.values():
        if levels[level] > levels.get(needed.get(permission, ""), 0):
            needed[permission] = level
    # The events need these too: workflow_run comes with Actions, issues and
    # issue_comment with Issues.
    assert APP["default_permissions"]["actions"] == "read"
    assert APP["default_permissions"]["issues"] == "write"
    assert APP["default_permissions"] == needed


def test_app_manifest_has_the_keys_the_manifest_flow_needs() -> None:
    assert APP["name"]
    assert APP["url"].startswith("https://")
    assert APP["hook_attributes"]["url"].endswith("/webhooks/github")
    assert APP["hook_attributes"]["active"] is True
    assert APP["public"] is False
    known = {
        "name",
        "url",
        "hook_attributes",
        "redirect_url",
        "callback_urls",
        "setup_url",
        "description",
        "public",
        "default_events",
        "default_permissions",
        "request_oauth_on_install",
        "setup_on_update",
    }
    assert set(APP) <= known
    page = (DEPLOY / "register-app.html").read_text(encoding="utf-8")
    assert 'name="manifest"' in page
    assert "/settings/apps/new" in page


# -- scale-out: many workers, one may die anywhere ----------------------------------------


def test_a_run_job_that_dies_after_storing_its_run_still_syncs_on_retry(
    bot: RunningBot, github: FakeGitHub, seed_body: str
) -> None:
    from sqlalchemy import event
    from sqlalchemy import text as sql

    open_seed_issue(bot, github, seed_body)
    bot.work()
    calls = []

    def dies_once(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO jobs") and "sync_issue" in str(params):
            calls.append(params)
            if len(calls) == 1:  # as if SIGKILLed right after the run was committed
                raise RuntimeError("worker lost")

    event.listen(bot.engine, "before_cursor_execute", dies_once)
    complete_run(bot, github, 101, story_zip(1))
    bot.work()
    assert summary_comments(github) == []
    with bot.engine.begin() as connection:  # skip the retry's backoff
        connection.execute(sql("UPDATE jobs SET run_after = created_at WHERE status = 'queued'"))
    bot.work()
    assert len(calls) == 2
    assert len(summary_comments(github)) == 1
