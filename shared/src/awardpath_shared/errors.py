"""Domain errors: a rule said no. Services and models raise them in the rules' own words;
only the HTTP edge (`awardpath_shared.problems`) knows which status code each one is.

Every error carries a stable `code` (the last part of its problem `type`), a short `title`, a
`detail` for the caller and optional `extensions`: machine-readable facts (which sections,
which state) the caller can act on. In a consumer, a domain error is just a failed handler:
retried, then dead-lettered.
"""

from typing import Any


class DomainError(Exception):
    def __init__(self, code: str, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.title = title
        self.detail = detail
        self.extensions = extensions


class Malformed(DomainError):
    """The input cannot even be read (a cursor this API never gave)."""


class Unauthenticated(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__("unauthenticated", "Authentication required", detail)


class Forbidden(DomainError):
    def __init__(self, detail: str) -> None:
        super().__init__("forbidden", "Forbidden", detail)


class NotFound(DomainError):
    def __init__(self, what: str, identifier: str) -> None:
        super().__init__("not-found", f"{what} not found", f"no {what} with id {identifier!r}")


class Conflict(DomainError):
    """The request is well formed but the current state does not allow it."""


class Invalid(DomainError):
    """The request breaks a rule of the domain (evidence that does not fit the rubric)."""


class Gone(DomainError):
    """What was asked for existed and was removed for good (an evidence file deleted)."""


class TooLarge(DomainError):
    """The content is bigger than a limit allows (an evidence file over its size limit)."""


class UnsupportedContent(DomainError):
    """The content is of a kind the service does not take (a file that is no accepted type)."""
