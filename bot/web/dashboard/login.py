"""Logging in and out: the token form, and Sign in with GitHub (the App's OAuth web flow).

GitHub's leg: `/login/github` remembers an attempt (state, PKCE verifier) bound to this
browser by a cookie and sends the browser to GitHub; GitHub sends it back to
`/login/github/callback` with a code and the state, which must be the one this browser
began and not yet used. Whatever goes wrong there (a forged or replayed state, a refusal,
GitHub down) ends on the login page saying so, never an error page.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.errors import GitHubUnavailable
from bot.web.access import AccessRule, client_address, safe_next
from bot.web.dashboard.pages import page
from bot.web.deps import AccessDep, SettingsDep
from bot.web.sessions import SignInProblem

log = logging.getLogger(__name__)

CALLBACK_PATH = "/login/github/callback"
# What GitHub may put in `error` (GitHub's docs, "Troubleshooting authorization request
# errors"); anything else is shown as its code only, never as free text from the URL.
GITHUB_ERRORS = {
    "access_denied": "You did not authorize the app on GitHub, so you are not signed in.",
    "application_suspended": "The GitHub App is suspended; ask its owner.",
    "redirect_uri_mismatch": "GitHub does not know this dashboard's callback address: "
    "register it in the App's settings (see the README).",
}
_CODE = re.compile(r"^[a-z_]{1,40}$")

public = APIRouter(include_in_schema=False)


def login_page(
    request: Request,
    access: AccessRule,
    *,
    next_path: str | None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The login page: the token form and/or Sign in with GitHub, with an error if any."""
    response = page(
        request,
        "login.html",
        None,
        next=safe_next(next_path),
        error=error,
        github=access.users is not None,
        token_form=access.token is not None or access.users is None,
    )
    response.status_code = status
    return response


SIGN_IN_ENDED = (
    "GitHub no longer honours your sign-in (the authorization was revoked or has expired). "
    "Sign in again."
)


@public.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request, access: AccessDep, next: str | None = None, ended: str | None = None
) -> HTMLResponse:
    """The login page (saying why, when GitHub ended the user's previous sign-in)."""
    error = SIGN_IN_ENDED if ended == "github" and access.users is not None else None
    return login_page(request, access, next_path=next, error=error)


@public.post("/login", response_model=None)
def login(
    request: Request,
    access: AccessDep,
    token: Annotated[str, Form(max_length=1000)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Check the token; on success set the session cookie and go where the viewer was going."""
    client = client_address(request)
    wait = access.logins.wait(client)
    if wait:
        return HTMLResponse(
            f"Too many failed logins from {client}: try again in {wait} s.",
            429,
            headers={"Retry-After": str(wait)},
        )
    if not access.token_matches(token):
        access.logins.failed(client)
        return login_page(
            request, access, next_path=next, error="That token is not valid.", status=401
        )
    redirect = RedirectResponse(safe_next(next), 303)
    access.log_in(redirect, request)
    return redirect


@public.get("/login/github", response_model=None)
def sign_in_with_github(
    request: Request,
    access: AccessDep,
    settings: SettingsDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Begin the OAuth web flow: remember the attempt, bind it to this browser, go to GitHub."""
    if access.users is None:
        return login_page(
            request,
            access,
            next_path=next,
            error="Sign in with GitHub is not configured here (GITHUB_CLIENT_ID and "
            "GITHUB_CLIENT_SECRET).",
            status=404,
        )
    started = access.users.begin(
        redirect_uri=callback_url(request, settings.public_url), next_path=safe_next(next)
    )
    redirect = RedirectResponse(started.authorize_url, 303)
    access.bind_browser(redirect, request, started.nonce)
    return redirect


@public.get(CALLBACK_PATH, response_model=None)
def github_callback(
    request: Request,
    access: AccessDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """GitHub's redirect back: check the state, exchange the code, open the session."""
    users = access.users
    problem: str | None = None
    status = 400
    signed = None
    if users is None:
        problem, status = "Sign in with GitHub is not configured here.", 404
    elif error:
        problem = GITHUB_ERRORS.get(error) or (
            f"GitHub could not sign you in ({error if _CODE.match(error) else 'unknown error'})."
        )
    elif not code or not state:
        problem = "This sign-in link is incomplete (no code or state). Sign in again."
    else:
        try:
            signed = users.finish(
                state=state,
                nonce=access.browser_nonce(request),
                code=code,
                redirect_uri=callback_url(request, settings.public_url),
            )
        except SignInProblem as refused:
            log.info("sign-in refused: %s", refused)
            problem = str(refused)
        except GitHubUnavailable as exc:
            log.warning("sign-in failed, GitHub unavailable: %s", exc)
            # Our page works; GitHub did not: the login page again, to retry from.
            problem, status = "GitHub could not be reached to finish signing in. Try again.", 200
    if signed is None:
        response: Response = login_page(
            request, access, next_path=None, error=problem, status=status
        )
    else:
        response = RedirectResponse(safe_next(signed.next_path), 303)
        access.log_in(response, request, session_id=signed.session_id)
    access.unbind_browser(response)
    return response


@public.post("/logout", response_class=RedirectResponse)
def logout(request: Request, access: AccessDep) -> RedirectResponse:
    """End the session (a GitHub user's is deleted from the store) and drop the cookie."""
    redirect = RedirectResponse("/login", 303)
    access.log_out(redirect, request)
    return redirect


def callback_url(request: Request, public_url: str | None) -> str:
    """The OAuth callback: under PUBLIC_URL when set, else under the request's own root."""
    root = public_url.rstrip("/") if public_url else str(request.base_url).rstrip("/")
    return root + CALLBACK_PATH
