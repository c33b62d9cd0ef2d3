"""Turnaround (both backends, rolled back per test): each attempt is due its
micro-credential's target in business days after submission, the queue shows it, work open
past the due time by the grace goes to another assessor, admins see what is overdue, and the
reliability report gives the share done within target. Time is the `now` handed to the
sweeper and the reads, never a sleep."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from awardpath_assessment.models import Assignment, Attempt
from awardpath_assessment.turnaround import service as turnaround_service
from awardpath_shared.errors import DomainError
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import encode_cursor
from tests.support.assessment import (
    SETTINGS,
    AssessmentCalls,
    assignments_of,
    attempt_event,
    holders,
    new_assessor,
    open_holder,
    open_load,
    pool,
    published,
    refused_with,
    scored,
    submit,
)

GRACE = timedelta(hours=SETTINGS.overdue_grace_hours)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def five_day_credential(assessment) -> str:
    """A micro-credential whose target is 5 business days."""
    micro_credential_id = new_id()
    await assessment.record_rubric(published(micro_credential_id, turnaround_business_days=5))
    return micro_credential_id


async def due_of(assessment: AssessmentCalls, submission_id: str) -> datetime:
    attempt = await assessment.session.scalar(select(Attempt).where(Attempt.submission_id == submission_id))
    return attempt.due_at


# ---- due times ----------------------------------------------------------------------------


async def test_an_attempt_is_due_its_targets_business_days_after_submission_and_the_queue_shows_it(
    assessment, five_day_credential, micro_credential_id
):
    await pool(assessment, five_day_credential, "ada")
    friday = await submit(assessment, five_day_credential, submitted_at=at(2026, 11, 27, 15))
    saturday = await submit(assessment, five_day_credential, submitted_at=at(2026, 11, 28, 9))
    default_target = await submit(assessment, micro_credential_id, submitted_at=at(2026, 11, 25, 15))  # waits

    assert await due_of(assessment, friday) == at(2026, 12, 4, 15)  # Friday to Friday
    assert await due_of(assessment, saturday) == at(2026, 12, 5)  # Monday to Friday, to its end
    assert await due_of(assessment, default_target) == at(2026, 12, 15, 15)  # 14 days, two weekends over
    queue = await assessment.queue("ada", limit=10, cursor=None)
    assert [item.due_at for item in queue.items] == [at(2026, 12, 4, 15), at(2026, 12, 5)]
    view = await assessment.blind_view("ada", queue.items[0].assignment_id)
    assert (view.due_at, view.micro_credential.turnaround_business_days) == (at(2026, 12, 4, 15), 5)
    [waiting] = (await assessment.list_unassigned(limit=10, cursor=None)).items
    assert (waiting.submission_id, waiting.due_at) == (default_target, at(2026, 12, 15, 15))


async def test_a_new_version_with_another_target_applies_to_its_own_attempts(assessment, five_day_credential):
    await assessment.record_rubric(
        published(five_day_credential).model_copy(update={"version": 2, "turnaround_business_days": 1})
    )
    event = attempt_event(five_day_credential, submitted_at=at(2026, 11, 27, 15))
    await assessment.receive_attempt(event.model_copy(update={"micro_credential_version": 2}))
    assert await due_of(assessment, event.submission_id) == at(2026, 11, 30, 15)


# ---- escalation -----------------------------------------------------------------------------


async def test_work_open_past_the_grace_after_its_due_time_goes_to_another_assessor(assessment, five_day_credential):
    await pool(assessment, five_day_credential, "ada", capacity=1)
    # Due on Friday 11 January 2030 at 10:00 (a submission dated ahead keeps the due time
    # after the assignment, whatever today is).
    late = await submit(assessment, five_day_credential, submitted_at=at(2030, 1, 4, 10))
    blocked = await submit(assessment, five_day_credential, conflicts=("org-c",))  # ada is full
    await pool(assessment, five_day_credential, "cy", capacity=1, organization_id="org-c")  # may not take it
    held = await open_holder(assessment, late)
    assert held.assessor_id == "ada" and await holders(assessment, blocked) == []

    assert await assessment.sweep(at(2030, 1, 11, 10) + GRACE - timedelta(seconds=1)) == 0
    assert await assessment.sweep(at(2030, 1, 11, 10) + GRACE) == 1

    assert await holders(assessment, late) == ["cy"]
    ended = await assessment.session.get(Assignment, held.id)
    assert (ended.state, ended.ended_at) == ("escalated", at(2030, 1, 11, 10) + GRACE)
    # ada's freed place went to the work that was waiting.
    assert await holders(assessment, blocked) == ["ada"] and await open_load(assessment, "ada") == 1
    with pytest.raises(DomainError) as error:  # a late review of escalated work changes nothing
        await assessment.submit_review("ada", held.id, scored())
    refused_with(error, 409, "assignment-returned")


@pytest.mark.parametrize("claimed", [False, True], ids=["assigned", "leased"])
async def test_overdue_work_moves_on_once_per_grace_and_never_back_then_stays_when_nobody_is_left(
    assessment, five_day_credential, claimed
):
    long_lease = AssessmentCalls(assessment.uow, SETTINGS.model_copy(update={"lease_seconds": 60 * 86400}))
    await pool(long_lease, five_day_credential, "ada", "bo", "cy", capacity=1)
    late = await submit(long_lease, five_day_credential, submitted_at=at(2026, 1, 5, 9))  # due 12 January
    first = await open_holder(long_lease, late)
    if claimed:
        await long_lease.claim_next(first.assessor_id)

    # Due long ago, but each holder gets the grace from when they got it.
    assert await long_lease.sweep(first.assigned_at + GRACE - timedelta(seconds=1)) == 0
    assert await long_lease.sweep(first.assigned_at + GRACE) == 1
    second = await open_holder(long_lease, late)
    assert await long_lease.sweep(second.assigned_at + GRACE - timedelta(seconds=1)) == 0
    assert await long_lease.sweep(second.assigned_at + GRACE) == 1
    third = await open_holder(long_lease, late)
    assert await long_lease.sweep(third.assigned_at + GRACE * 10) == 0  # nobody else: it stays

    assert sorted([first.assessor_id, second.assessor_id, third.assessor_id]) == ["ada", "bo", "cy"]
    assert [a.state for a in await assignments_of(long_lease, late)] == ["escalated", "escalated", "assigned"]
    overdue = await long_lease.overdue(now=third.assigned_at + GRACE * 10)
    assert [(item.submission_id, item.assessor_ids) for item in overdue.items] == [(late, [third.assessor_id])]


async def test_work_nobody_else_may_take_goes_behind_the_rest_so_every_sweep_gets_further(
    assessment, five_day_credential, monkeypatch
):
    monkeypatch.setattr(turnaround_service, "ESCALATION_BATCH", 2)
    only_ada = new_id()  # a second micro-credential, which only ada assesses
    await assessment.record_rubric(published(only_ada, turnaround_business_days=5))
    await assessment.create_assessor(
        new_assessor(five_day_credential, "ada").model_copy(
            update={"micro_credential_ids": [five_day_credential, only_ada]}
        )
    )
    stuck = [await submit(assessment, only_ada, submitted_at=at(2026, 1, day, 9)) for day in (5, 6)]
    movable = await submit(assessment, five_day_credential, submitted_at=at(2026, 1, 7, 9))
    await pool(assessment, five_day_credential, "bo")  # came after: ada holds all three
    later = utcnow() + GRACE * 2  # all overdue, and each held longer than the grace

    assert await assessment.sweep(later) == 0  # the two most overdue: nobody else may take them
    assert await assessment.sweep(later) == 1  # then the next: bo takes it

    assert await holders(assessment, movable) == ["bo"]
    assert [await holders(assessment, submission_id) for submission_id in stuck] == [["ada"], ["ada"]]


async def test_a_settled_attempt_is_never_escalated(assessment, five_day_credential):
    await pool(assessment, five_day_credential, "ada", "bo")
    done = await submit(assessment, five_day_credential, submitted_at=at(2026, 1, 5, 9))
    await assessment.submit_review("ada", (await open_holder(assessment, done)).id, scored())
    assert await assessment.sweep(utcnow() + GRACE * 10) == 0
    assert [a.state for a in await assignments_of(assessment, done)] == ["completed"]


# ---- overdue work, as admins see it --------------------------------------------------------------


async def test_admins_see_unsettled_overdue_work_most_overdue_first_with_who_holds_it(assessment, five_day_credential):
    await pool(assessment, five_day_credential, "ada", capacity=1)
    settled = await submit(assessment, five_day_credential, submitted_at=at(2026, 9, 1, 9))
    await assessment.submit_review("ada", (await open_holder(assessment, settled)).id, scored())
    oldest = await submit(assessment, five_day_credential, submitted_at=at(2026, 10, 1, 9))  # ada's
    newest = await submit(assessment, five_day_credential, submitted_at=at(2026, 11, 2, 9))  # these wait
    waiting = await submit(assessment, five_day_credential, submitted_at=at(2026, 10, 15, 9))
    not_yet = await submit(assessment, five_day_credential, submitted_at=at(2026, 11, 20, 9))

    overdue = await assessment.overdue(now=at(2026, 11, 26))

    assert overdue.count == 3 and overdue.as_of == at(2026, 11, 26)
    assert [(i.submission_id, i.due_at, i.state, i.assessor_ids) for i in overdue.items] == [
        (oldest, at(2026, 10, 8, 9), "assigned", ["ada"]),
        (waiting, at(2026, 10, 22, 9), "unassigned", []),
        (newest, at(2026, 11, 9, 9), "unassigned", []),
    ]
    assert (await assessment.overdue(now=at(2026, 11, 27, 8, 59))).count == 3
    assert [i.submission_id for i in (await assessment.overdue(now=at(2026, 11, 27, 9))).items][-1] == not_yet
    first = await assessment.overdue(limit=2, now=at(2026, 11, 26))
    second = await assessment.overdue(limit=2, cursor=first.next_cursor, now=at(2026, 11, 26))
    assert [i.submission_id for i in first.items + second.items] == [oldest, waiting, newest]
    assert second.next_cursor is None
    dumped = overdue.model_dump_json()
    assert "conflict" not in dumped and "evidence" not in dumped


@pytest.mark.parametrize("cursor", [encode_cursor("not-a-position"), encode_cursor("2026-13-01T00:00:00.000000Z/x")])
async def test_a_cursor_the_overdue_list_never_gave_is_a_400(assessment, cursor):
    with pytest.raises(DomainError) as error:
        await assessment.overdue(cursor=cursor)
    refused_with(error, 400, "invalid-cursor")


async def test_a_well_formed_cursor_at_the_ends_of_time_reads_a_page(assessment, five_day_credential):
    overdue = await submit(assessment, five_day_credential, submitted_at=at(2026, 10, 1, 9))
    for position, expected in [("0001-01-01T00:00:00.000000Z/", [overdue]), ("9999-12-31T23:59:59.999999Z/z", [])]:
        page = await assessment.overdue(cursor=encode_cursor(position), now=at(2026, 11, 26))
        assert [item.submission_id for item in page.items] == expected


# ---- the report: done within target ----------------------------------------------------------------


async def test_the_report_gives_the_share_settled_within_target_overall_and_per_assessor(
    assessment, five_day_credential
):
    await pool(assessment, five_day_credential, "ada", "bo", capacity=1)
    late = await submit(assessment, five_day_credential, submitted_at=at(2026, 1, 5, 9))  # due 12 January
    on_time = await submit(assessment, five_day_credential)
    await submit(assessment, five_day_credential, submitted_at=at(2026, 1, 6, 9))  # waits, overdue
    late_holder = await open_holder(assessment, late)
    on_time_holder = await open_holder(assessment, on_time)
    await assessment.submit_review(late_holder.assessor_id, late_holder.id, scored())
    await assessment.submit_review(on_time_holder.assessor_id, on_time_holder.id, scored())

    report = await assessment.reliability(five_day_credential, now=utcnow())

    assert (report.turnaround_business_days, report.attempts_completed) == (5, 2)
    assert report.within_target == 0.5
    # The third attempt took the place `late`'s review freed: it is assigned, unsettled, overdue.
    assert report.overdue == 1
    by_assessor = {row.assessor_id: row.within_target for row in report.assessors}
    assert by_assessor == {late_holder.assessor_id: 0.0, on_time_holder.assessor_id: 1.0}
