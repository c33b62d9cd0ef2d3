"""Input types every API shares: ids that are safe in any query, text without NUL bytes
(the one character PostgreSQL refuses to store), so bad input is a 4xx, never a 500."""

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

# Ids this system mints (uuid7) or that callers choose (assessor ids).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
PathId = Annotated[str, Path(pattern=ID_PATTERN)]


def without_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


PlainText = Annotated[str, AfterValidator(without_nul)]
