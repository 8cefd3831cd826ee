"""GitHub's web addresses for an API root: github.com, Enterprise Server, and other hosts."""

from __future__ import annotations

import pytest

from bot.github import web_url


def test_web_root_for_github_enterprise_and_fakes() -> None:
    assert web_url("https://api.github.com/") == "https://github.com/"
    assert web_url("https://ghe.example/api/v3/") == "https://ghe.example/"
    assert web_url("http://127.0.0.1:9/") == "http://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.github.com", "https://github.com/o/r/issues/7"),
        ("https://API.GitHub.com/", "https://github.com/o/r/issues/7"),
        ("https://ghe.example/api/v3", "https://ghe.example/o/r/issues/7"),
        ("https://ghe.example/api/v3/", "https://ghe.example/o/r/issues/7"),
        ("https://example.com/github/api/v3/", "https://example.com/github/o/r/issues/7"),
        ("http://127.0.0.1:9", "http://127.0.0.1:9/o/r/issues/7"),
        ("http://127.0.0.1:9/prefix/", "http://127.0.0.1:9/prefix/o/r/issues/7"),
        # Only the host itself is github.com's API, not a name that contains it.
        ("https://api.github.com.example/", "https://api.github.com.example/o/r/issues/7"),
    ],
)
def test_web_url_of_a_path(api_url: str, expected: str) -> None:
    assert web_url(api_url, "o/r/issues/7") == expected


def test_a_leading_slash_on_the_path_makes_no_double_slash() -> None:
    assert web_url("https://api.github.com/", "/o/r") == "https://github.com/o/r"
