"""Keyset pagination with opaque cursors over time-ordered ids."""

import base64
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from awardpath_shared.problems import Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_VALUE = re.compile(r"[0-9A-Za-z._:@/-]{1,200}")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


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
        raise Problem(400, "invalid-cursor", "Invalid cursor", "the cursor is not one this API gave")
    return value


async def fetch_page(
    fetch: Callable[[str | None, int], Awaitable[Sequence[T]]],
    *,
    cursor: str | None,
    limit: int,
    position: Callable[[T], str],
) -> tuple[list[T], str | None]:
    """One page of a keyset listing and the cursor of the next (None on the last).

    `fetch(after, size)` returns up to `size` rows whose position is after `after`, in
    order; asking for one row beyond the page tells whether another page follows."""
    found = list(await fetch(decode_cursor(cursor), limit + 1))
    page = found[:limit]
    return page, encode_cursor(position(page[-1])) if len(found) > limit else None
