"""Keyset pagination with opaque cursors over time-ordered ids, the same in every list:
`limit` and `cursor` query parameters in, `{items, next_cursor}` out."""

import base64
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from awardpath_shared.errors import Malformed

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_VALUE = re.compile(r"[0-9A-Za-z._:@/-]{1,200}")

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[T]):
    """A page of a list as the API answers it."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Paged(Generic[T]):
    """A page of domain objects as a service returns it (the endpoint's `Page` maps it)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        value = ""
    if not _CURSOR_VALUE.fullmatch(value):
        raise Malformed("invalid-cursor", "Invalid cursor", "the cursor is not one this API gave")
    return value


async def fetch_page(
    fetch: Callable[[str | None, int], Awaitable[Sequence[T]]],
    *,
    cursor: str | None,
    limit: int,
    position: Callable[[T], str],
) -> Paged[T]:
    """One page of a keyset listing and the cursor of the next (None on the last).

    `fetch(after, size)` returns up to `size` rows whose position is after `after`, in
    order; asking for one row beyond the page tells whether another page follows."""
    found = list(await fetch(decode_cursor(cursor), limit + 1))
    page = found[:limit]
    return Paged(page, encode_cursor(position(page[-1])) if len(found) > limit else None)
