"""When a failed delivery is tried again: the shared exponential backoff with jitter, never
sooner than the receiver's `Retry-After`."""

from datetime import datetime
from email.utils import parsedate_to_datetime

from awardpath_award.settings import AwardSettings
from awardpath_shared.backoff import exponential_backoff


def retry_delay(attempts: int, retry_after: float | None, settings: AwardSettings) -> float:
    """Seconds before the next attempt after `attempts` failed ones."""
    backoff = exponential_backoff(
        attempts,
        base=settings.webhook_retry_base_seconds,
        cap=settings.webhook_retry_max_delay_seconds,
        jitter=True,
    )
    return max(backoff, retry_after or 0.0)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None
