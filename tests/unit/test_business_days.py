"""Due times in business days (Monday to Friday, UTC business time), worked out by hand on
the calendar of late 2026: Friday 27 November, the weekend of 28-29, Monday 30."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from awardpath_assessment.turnaround.business_days import due_at


def at(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("submitted", "days", "due"),
    [
        (at(25, 15), 1, at(26, 15)),  # Wednesday to Thursday, same time
        (at(27, 10), 1, at(30, 10)),  # Friday: the weekend does not count
        (at(27, 23, 59), 1, at(30, 23, 59)),
        (at(28, 10), 1, at(1, 0, month=12)),  # Saturday: the clock starts Monday 00:00
        (at(29, 23), 1, at(1, 0, month=12)),  # Sunday too
        (at(28, 10), 5, at(5, 0, month=12)),  # a weekend submission gets all of Monday to Friday
        (at(30, 0), 5, at(5, 0, month=12)),  # ends at Friday's end, not after the next weekend
        (at(30, 9), 5, at(7, 9, month=12)),  # a week later, same time
        (at(27, 10), 5, at(4, 10, month=12)),  # Friday to Friday
        (at(25, 15), 14, at(15, 15, month=12)),  # 14: two weekends over, a Tuesday
        (at(29, 23), 14, at(18, 0, month=12)),  # Sunday plus 14: the end of Thursday 17 December
        (at(26, 12), 60, datetime(2027, 2, 18, 12, tzinfo=UTC)),  # twelve weeks later
    ],
)
def test_due_times_count_weekdays_only(submitted, days, due):
    assert due_at(submitted, days) == due


def test_a_submission_in_another_time_zone_is_counted_in_utc():
    # Friday 20:00 in New York is Saturday 01:00 UTC: a weekend submission.
    new_york = timezone(timedelta(hours=-5))
    assert due_at(datetime(2026, 11, 27, 20, tzinfo=new_york), 1) == at(1, 0, month=12)


@given(
    submitted=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    days=st.integers(1, 60),
)
def test_a_due_time_is_days_plus_the_weekends_between_and_never_on_a_weekend_moment(submitted, days):
    due = due_at(submitted, days)
    weekends = (due - submitted - timedelta(days=days)) / timedelta(days=2)
    assert due > submitted and 0 <= weekends <= days / 5 + 1
    # Due at a weekday moment, or exactly at the end of a Friday.
    assert due.weekday() < 5 or (due.weekday() == 5 and due.time() == datetime.min.time())
    assert due_at(submitted, days + 1) > due
