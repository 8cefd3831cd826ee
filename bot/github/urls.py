"""GitHub's web addresses for an API root: pure string work, no I/O."""

from __future__ import annotations

from urllib.parse import urlsplit

# github.com serves its REST API from another host; Enterprise Server under `/api/v3`.
GITHUB_COM_API = "api.github.com"
GITHUB_COM_WEB = "https://github.com/"
ENTERPRISE_API_PATH = "/api/v3"


def web_url(api_url: str, path: str = "") -> str:
    """The web address of `path` (e.g. `owner/repo/issues/1`) on the site behind an API root.

    api.github.com is github.com; `https://host/api/v3/` (Enterprise Server) is
    `https://host/`; any other root (a fake, a proxy) serves the web pages under itself.
    The result for an empty path is the web root, ending in `/`.
    """
    parts = urlsplit(api_url)
    if parts.hostname == GITHUB_COM_API:
        root = GITHUB_COM_WEB
    else:
        prefix = parts.path.rstrip("/").removesuffix(ENTERPRISE_API_PATH)
        root = f"{parts.scheme}://{parts.netloc}{prefix}/"
    return root + path.lstrip("/")
