"""Writes to GitHub are spaced per installation across clients and jobs, not per client."""

from __future__ import annotations

from bot.github import GitHubFactory
from bot.github.pacing import WritePacer

from fakes import FakeGitHub, ServedFake
from fakes.running_bot import bot_settings

REPO = "acme/widgets"


class _Clock:
    """A clock that moves only when the pacer sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_writes_of_one_installation_start_an_interval_after_the_last_ended() -> None:
    clock = _Clock()
    pacer = WritePacer(1.0, clock=clock.time, sleep=clock.sleep)
    starts = []
    for _ in range(3):
        with pacer.turn(42):
            starts.append(clock.now)
            clock.now += 0.25  # the request itself
    assert starts == [100.0, 101.25, 102.5]


def test_installations_do_not_wait_for_each_other() -> None:
    clock = _Clock()
    pacer = WritePacer(1.0, clock=clock.time, sleep=clock.sleep)
    with pacer.turn(1):
        pass
    with pacer.turn(2):
        pass
    assert clock.slept == []


def test_a_write_long_after_the_last_one_does_not_wait() -> None:
    clock = _Clock()
    pacer = WritePacer(1.0, clock=clock.time, sleep=clock.sleep)
    with pacer.turn(1):
        pass
    clock.now += 5
    with pacer.turn(1):
        pass
    assert clock.slept == []


def test_two_jobs_clients_space_their_writes_to_one_installation(
    served_github: ServedFake, github: FakeGitHub
) -> None:
    """Each job opens its own client; the factory's pacer spaces their writes all the same."""
    github.add_repo(REPO, default_branch="main")
    github.add_issue(REPO, 1, title="t", body="b")
    settings = bot_settings("sqlite://", served_github)
    factory = GitHubFactory(settings, write_interval=0.4)
    for text in ("first", "second"):  # two jobs, one after the other
        with factory.client(77) as gh:  # the installation add_repo installs
            gh.create_comment(REPO, 1, text)
    first, second = github.requests_to("POST", rf"/repos/{REPO}/issues/1/comments$")
    assert second.received_at - first.received_at >= 0.4
