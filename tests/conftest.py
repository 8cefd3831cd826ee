"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.core.evaluate import RunInput
from bot.github import GitHubFactory
from bot.store.engine import make_engine
from bot.store.migrate import upgrade
from bot.web.app import create_app
from bot.worker.loop import Worker

from fakes import FakeGitHub, ServedFake, serve
from fakes.bot_server import serve_bot
from fakes.running_bot import RunningBot, bot_settings, steady_backoff
from fakes.seed_story import FIXTURES, load_story_run

# TEST_DATABASES picks the backend legs (comma list); TEST_POSTGRES_URL points at a server
# where the tests may create and drop schemas.
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def _selected_backends() -> list[str]:
    chosen = [b.strip() for b in os.environ.get("TEST_DATABASES", ",".join(BACKENDS)).split(",")]
    unknown = set(chosen) - set(BACKENDS) - {""}
    if unknown:
        raise pytest.UsageError(f"TEST_DATABASES names unknown backends: {sorted(unknown)}")
    return [b for b in BACKENDS if b in chosen]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server URL; skipped when unreachable, except under CI=true (fails)."""
    url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = make_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = f"PostgreSQL unreachable at {url}: {str(exc).splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the postgres leg must run)", pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


def _with_search_path(url: str, schema: str) -> str:
    # libpq's `options` reaches psycopg through the URL query; %3D is the '=' of -csearch_path.
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in the test's temporary directory (not yet created)."""
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped with everything in it afterwards."""
    schema = f"t_{uuid.uuid4().hex}"
    admin = make_engine(postgres_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        yield _with_search_path(postgres_url, schema)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param(b, id=b, marks=[pytest.mark.postgres] if b == "postgres" else [])
        for b in _selected_backends()
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty database on each selected backend (ids: sqlite, postgres)."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_schema_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a freshly migrated database, disposed after the test."""
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated test database."""
    with Session(engine) as session:
        yield session


# The seed story: issue #870 and three CI runs (fakes/seed_story.py) ------------------------


@pytest.fixture(scope="session")
def seed_body() -> str:
    """The seed issue body, exactly as written (mis-encoded characters included)."""
    return (FIXTURES / "issue-870.md").read_bytes().decode("utf-8")


@pytest.fixture(scope="session")
def seed_runs() -> list[RunInput]:
    """The three runs of the seed story, oldest first."""
    return [load_story_run(n) for n in (1, 2, 3)]


# The bot against a fake GitHub, both over real HTTP on 127.0.0.1 ----------------------------


@pytest.fixture(scope="session")
def served_github() -> Iterator[ServedFake]:
    """One fake GitHub for the session (state is reset for each test)."""
    with serve(FakeGitHub()) as served:
        yield served


@pytest.fixture
def github(served_github: ServedFake) -> FakeGitHub:
    """The fake GitHub, empty."""
    served_github.fake.reset()
    return served_github.fake


@pytest.fixture
def bot(database_url: str, served_github: ServedFake, github: FakeGitHub) -> Iterator[RunningBot]:
    """The bot, migrated and served, talking to the fake GitHub as its App."""
    upgrade(database_url)
    settings = bot_settings(database_url, served_github)
    app = create_app(settings, github=GitHubFactory(settings, write_interval=0))
    context = app.state.context
    with serve_bot(app) as url:
        yield RunningBot(
            url=url,
            settings=settings,
            worker=Worker(context, backoff=steady_backoff),
            engine=context.engine,
        )
