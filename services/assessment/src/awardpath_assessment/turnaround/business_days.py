"""Due times: a turnaround target in business days, counted in UTC business time.

Business time runs Monday 00:00 to Saturday 00:00 UTC and stands still over the weekend. An
attempt submitted at `t` with a target of `n` business days is due once `n` x 24 hours of
business time have passed since `t`: a weekday submission is due at the same time of day on
the `n`-th weekday after it (Friday 10:00 plus 1 is Monday 10:00), a weekend submission
starts the clock on Monday 00:00 (Saturday plus 5 is the end of Friday, Saturday 00:00).

No holiday calendar and no local time zones: a weekend is the UTC weekend everywhere.
"""

from datetime import UTC, datetime, timedelta

SATURDAY = 5
DAY = timedelta(days=1)


def due_at(submitted_at: datetime, business_days: int) -> datetime:
    """The earliest moment `business_days` x 24 hours of business time after `submitted_at`."""
    moment = _business_hours_from(submitted_at.astimezone(UTC))
    remaining = business_days * DAY
    while True:
        end_of_day = _midnight(moment) + DAY
        if remaining <= end_of_day - moment:
            return moment + remaining
        remaining -= end_of_day - moment
        moment = _business_hours_from(end_of_day)


def _business_hours_from(moment: datetime) -> datetime:
    """`moment`, or the Monday 00:00 after it when it falls on a weekend."""
    if moment.weekday() < SATURDAY:
        return moment
    return _midnight(moment) + (7 - moment.weekday()) * DAY


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
