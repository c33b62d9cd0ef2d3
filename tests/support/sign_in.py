"""The token a workspace sign-in link carries (what its Continue button posts)."""

from urllib.parse import parse_qs, urlsplit


def token_of(link: str) -> str:
    (token,) = parse_qs(urlsplit(link).query)["token"]
    return token
