"""Input types every API shares: ids that are safe in any query, text without NUL bytes
(the one character PostgreSQL refuses to store), so bad input is a 4xx, never a 500."""

import re
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator, StringConstraints

# Ids this system mints (uuid7) or that callers choose (assessor ids).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$"
_ID = re.compile(ID_PATTERN)

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# A path id that is malformed names nothing: the edge answers 404, as for an unknown one.
PathId = Annotated[str, Path(pattern=ID_PATTERN)]


def is_wellformed_id(value: str) -> bool:
    """Whether `value` could be an id here; anything else cannot exist, and some of it (NUL)
    PostgreSQL would refuse outright, so lookups answer 'not found' without asking."""
    return _ID.fullmatch(value) is not None


def without_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


PlainText = Annotated[str, AfterValidator(without_nul)]


def _trimmed(max_length: int) -> StringConstraints:
    """Non-blank free text of at most `max_length` characters, surrounding space trimmed."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Free text of request bodies: trimmed, non-blank, bounded, no NUL.
Name = Annotated[str, _trimmed(200), AfterValidator(without_nul)]
Description = Annotated[str, _trimmed(2000), AfterValidator(without_nul)]
LongText = Annotated[str, _trimmed(5000), AfterValidator(without_nul)]
Prompt = Annotated[str, _trimmed(10_000), AfterValidator(without_nul)]
