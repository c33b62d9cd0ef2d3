"""Keyset pagination with opaque cursors over time-ordered ids."""

import base64
import re
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


def next_cursor(ids: list[str], limit: int) -> str | None:
    """Given up to limit+1 fetched ids, the cursor for the next page (None on the last)."""
    return encode_cursor(ids[limit - 1]) if len(ids) > limit else None
