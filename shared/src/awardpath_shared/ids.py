"""Identifiers and time: time-ordered ids so keyset pagination follows creation order."""

from datetime import UTC, datetime

import uuid_utils


def new_id() -> str:
    return str(uuid_utils.uuid7())


def utcnow() -> datetime:
    return datetime.now(UTC)
