"""Who is signed in, and the form token that proves a post came from our own page.

A session is a signed cookie (Starlette's, HttpOnly, SameSite=Lax, Secure behind https)
holding the person's role and subject, when it ends, and a random CSRF token every form
carries; a post whose token is missing or another session's is refused."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from starlette.datastructures import FormData

from awardpath_shared.auth import Role
from awardpath_shared.ids import utcnow

# Where each role's workspace starts; a platform integrates over the API and has no pages.
ROLE_PAGES = {"assessor": "/assessor", "issuer": "/issuer", "admin": "/admin"}


@dataclass(frozen=True)
class Person:
    role: Role
    subject: str


class NotSignedIn(Exception):
    """No session, or an ended one: the page asks the person to sign in."""


class ForgedForm(Exception):
    """A post without this session's form token."""


def start_session(request: Request, person: Person, hours: float) -> None:
    request.session.clear()
    request.session.update(
        {
            "role": person.role,
            "subject": person.subject,
            "ends": (utcnow() + timedelta(hours=hours)).timestamp(),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def signed_in(request: Request) -> Person:
    session = request.session
    if "subject" not in session or session.get("ends", 0) <= utcnow().timestamp():
        session.clear()
        raise NotSignedIn()
    return Person(role=session["role"], subject=session["subject"])


def form_token(request: Request) -> str:
    return str(request.session.get("csrf", ""))


def form_values(form: FormData) -> dict[str, str]:
    """What a posted form holds besides its token: the values to show again on a refusal."""
    return {key: str(value) for key, value in form.items() if key != "form_token"}


def check_form(request: Request, token: str | None) -> None:
    expected = form_token(request)
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise ForgedForm()
