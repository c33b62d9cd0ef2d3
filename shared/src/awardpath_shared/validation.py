"""Input types every API shares: ids that are safe in any query, bounded text and numbers
that fit every column, so bad input is a 4xx, never a 500. (That text is valid Unicode
without NUL is checked once for every request, in `edge_input`.)"""

import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import Field, StringConstraints

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


def _trimmed(max_length: int) -> StringConstraints:
    """Non-blank free text of at most `max_length` characters, surrounding space trimmed."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Free text of request bodies: trimmed, non-blank, bounded.
Name = Annotated[str, _trimmed(200)]
Description = Annotated[str, _trimmed(2000)]
LongText = Annotated[str, _trimmed(5000)]
Prompt = Annotated[str, _trimmed(10_000)]

# A version of a published definition: a positive number that fits any integer column
# (a larger one names nothing, so lookups answer 404 rather than overflow the query).
MAX_VERSION = 2**31 - 1
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
PathVersion = Annotated[int, Path(ge=1, le=MAX_VERSION)]
VersionQuery = Annotated[
    int | None, Query(ge=1, le=MAX_VERSION, description="A published version; the latest if absent.")
]
