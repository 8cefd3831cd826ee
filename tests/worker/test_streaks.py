"""Multi-run items end to end: a streak is ticked only once enough green runs came in."""

from __future__ import annotations

from fakes import FakeGitHub
from fakes.running_bot import RunningBot
from fakes.seed_story import boxes, complete_run, open_seed_issue, story_zip, summary_comments

BODY = """\
## Success metrics

- [ ] 3 consecutive green runs
- [ ] `test_user_execution_engine_integration.py`: 5/5 tests passing
- [ ] No flaky tests
"""


def test_a_streak_is_ticked_only_after_the_third_green_run(
    bot: RunningBot, github: FakeGitHub
) -> None:
    open_seed_issue(bot, github, BODY)
    bot.work()
    seen = []
    for number in (1, 2, 3):
        # Every run is the seed story's last: all 14 tests pass.
        assert complete_run(bot, github, 200 + number, story_zip(3)).status_code == 202
        bot.work()
        seen.append(boxes(github))
    # The single-run item is proven by the first run; the streak only by the third; five runs
    # are needed before any test can be called flaky, so that one stays open.
    assert seen == [[1], [1], [0, 1]]
    (comment,) = summary_comments(github)
    assert "green in 3 consecutive runs" in comment
    assert "3 of 5 runs seen, no flips so far" in comment


def test_a_failing_run_breaks_the_streak(bot: RunningBot, github: FakeGitHub) -> None:
    open_seed_issue(bot, github, BODY)
    bot.work()
    for run_id, story in ((301, 3), (302, 3), (303, 1), (304, 3), (305, 3)):
        complete_run(bot, github, run_id, story_zip(story))
        bot.work()
        assert 0 not in boxes(github)  # never three green runs in a row
    (comment,) = summary_comments(github)
    assert "failed in 1 of the last 3 runs; green streak 2 of 3" in comment
