"""The reading corpus: real plans, expectations written before the reader ran, zero wrong ticks.

`python -m benchmarks.reading` reports how well the reader does on `fixtures/plans/`; this file
holds the line that must never move: on an all-green and on an all-red run, the bot ticks no box
a maintainer would not tick. It also keeps the corpus whole (every plan has its expectations, its
provenance row and its license text) and checks that every checkbox is found.
"""

from __future__ import annotations

import pytest

from benchmarks import reading
from bot.core import plan

CORPUS = reading.corpus()
SOURCES = (reading.PLANS / "SOURCES.md").read_text(encoding="utf-8")
LICENSES = reading.PLANS.parent / "LICENSES"


def test_the_corpus_is_large_and_varied() -> None:
    languages = {expected.get("language") for _, _, expected in CORPUS}
    assert len(CORPUS) >= 40
    assert {"en", "ja", "ru", "es", "ko", "zh"} <= languages


@pytest.mark.parametrize(("slug", "body", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_no_wrong_tick_on_an_all_green_or_an_all_red_run(
    slug: str, body: str, expected: dict[str, object]
) -> None:
    score = reading.score(slug, body, expected)
    assert score.wrong_green == []
    assert score.wrong_red == []


@pytest.mark.parametrize(("slug", "body", "expected"), CORPUS, ids=[c[0] for c in CORPUS])
def test_every_checkbox_a_maintainer_counted_is_found(
    slug: str, body: str, expected: dict[str, object]
) -> None:
    items = expected.get("items") or []
    assert isinstance(items, list)
    assert [box.checked for box in plan.parse(body).items] == [bool(i["checked"]) for i in items]


@pytest.mark.parametrize("slug", [c[0] for c in CORPUS])
def test_every_plan_has_its_provenance_and_license(slug: str) -> None:
    row = next((line for line in SOURCES.splitlines() if line.startswith(f"| {slug} |")), None)
    assert row is not None, f"{slug} has no row in SOURCES.md"
    owner_repo = row.split("|")[2].strip().replace("/", "__")
    assert any(LICENSES.glob(f"{owner_repo}.LICENSE*")), f"no license text for {slug}"
