"""Resubmissions come back (both backends, rolled back per test): a resubmission whose
earlier assessor is full waits for them through the hold, comes before older fresh work
when they free a place, goes to anyone once the hold runs out, and goes elsewhere at once
when its earlier assessor may no longer take it."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from awardpath_assessment.assignment.rule import AttemptToAssign
from awardpath_assessment.models import Assignment, Attempt
from awardpath_assessment.pool.schemas import AssessorUpdate
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import conflict_hash
from tests.support.assessment import (
    KEY,
    SETTINGS,
    AssessmentCalls,
    attempt_event,
    holders,
    new_assessor,
    open_holder,
    pool,
    published,
    scored,
    submit,
)
from tests.support.assignment_rule import candidates_as_stored, chosen_by_the_rule

HOLD = timedelta(hours=SETTINGS.resubmission_hold_hours)


async def decided_by(assessment: AssessmentCalls, micro_credential_id: str, assessor_id: str, **fields) -> str:
    """A submission whose first attempt `assessor_id` reviewed (resubmit): the earlier assessor
    of its resubmission."""
    submission_id = await submit(assessment, micro_credential_id, **fields)
    holder = await open_holder(assessment, submission_id)
    assert holder.assessor_id == assessor_id
    await assessment.submit_review(assessor_id, holder.id, scored("not_yet"))
    return submission_id


async def resubmit(assessment: AssessmentCalls, micro_credential_id: str, submission_id: str, **fields) -> None:
    await assessment.receive_attempt(
        attempt_event(micro_credential_id, submission_id=submission_id, attempt=2, **fields)
    )


async def waiting(assessment: AssessmentCalls) -> list[str]:
    return [item.submission_id for item in (await assessment.list_unassigned(limit=50, cursor=None)).items]


# ---- priority when the earlier assessor frees a place -------------------------------------


async def free_a_place_by_review(assessment, assessor_id: str, submission_id: str) -> None:
    await assessment.submit_review(assessor_id, (await open_holder(assessment, submission_id)).id, scored())


async def free_a_place_by_release(assessment, assessor_id: str, submission_id: str) -> None:
    await assessment.release(assessor_id, (await open_holder(assessment, submission_id)).id)


async def free_a_place_by_lease_expiry(assessment, assessor_id: str, submission_id: str) -> None:
    claimed = await assessment.claim_next(assessor_id)
    assert claimed is not None and claimed.assignment_id == (await open_holder(assessment, submission_id)).id
    assert await assessment.sweep(claimed.lease_expires_at) == 1


async def free_a_place_by_more_capacity(assessment, assessor_id: str, _submission_id: str) -> None:
    await assessment.update_assessor(assessor_id, AssessorUpdate(capacity=2))


@pytest.mark.parametrize(
    "free_a_place",
    [free_a_place_by_review, free_a_place_by_release, free_a_place_by_lease_expiry, free_a_place_by_more_capacity],
)
async def test_a_waiting_resubmission_takes_its_assessors_freed_place_before_older_fresh_work(
    assessment, micro_credential_id, free_a_place
):
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(assessment, micro_credential_id, "ada")
    current = await submit(assessment, micro_credential_id)  # ada is full again
    older_fresh = await submit(assessment, micro_credential_id)  # waits: nobody else
    await resubmit(assessment, micro_credential_id, returning)
    assert await waiting(assessment) == [older_fresh, returning]

    await free_a_place(assessment, "ada", current)

    assert await holders(assessment, returning) == ["ada"]
    assert await holders(assessment, older_fresh) == []
    assert older_fresh in await waiting(assessment)


async def test_several_waiting_resubmissions_come_back_in_arrival_order_before_fresh_work(
    assessment, micro_credential_id
):
    await pool(assessment, micro_credential_id, "ada", capacity=2)
    first = await decided_by(assessment, micro_credential_id, "ada")
    second = await decided_by(assessment, micro_credential_id, "ada")
    current = [await submit(assessment, micro_credential_id) for _ in range(2)]
    fresh = await submit(assessment, micro_credential_id)
    await resubmit(assessment, micro_credential_id, second)
    await resubmit(assessment, micro_credential_id, first)

    for submission_id in current:
        await free_a_place_by_review(assessment, "ada", submission_id)

    assert (await holders(assessment, second), await holders(assessment, first)) == (["ada"], ["ada"])
    assert await waiting(assessment) == [fresh]


# ---- the hold, then anyone ---------------------------------------------------------------


async def test_a_resubmission_waits_for_its_full_assessor_through_the_hold_then_goes_to_anyone(
    assessment, micro_credential_id
):
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(assessment, micro_credential_id, "ada")
    await submit(assessment, micro_credential_id)  # ada is full
    await pool(assessment, micro_credential_id, "bo", capacity=3)
    arrived = utcnow()

    await resubmit(assessment, micro_credential_id, returning)

    # bo has room, but the resubmission waits for ada; fresh work still goes to bo.
    [held] = (await assessment.list_unassigned(limit=10, cursor=None)).items
    assert held.submission_id == returning
    assert arrived + HOLD - timedelta(minutes=1) <= held.held_until <= utcnow() + HOLD
    fresh = await submit(assessment, micro_credential_id)
    assert await holders(assessment, fresh) == ["bo"]

    assert await assessment.sweep(held.held_until - timedelta(seconds=1)) == 0
    assert await holders(assessment, returning) == []
    assert await assessment.sweep(held.held_until) == 1

    assert await holders(assessment, returning) == ["bo"]
    assert await waiting(assessment) == []
    assert await assessment.sweep(held.held_until + timedelta(days=1)) == 0  # nothing left to end


async def test_after_the_hold_the_resubmission_still_goes_back_when_its_assessor_has_room_first(
    assessment, micro_credential_id
):
    """The hold ends while nobody at all can take it; once the earlier assessor frees a
    place it is still theirs before fresh work."""
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(assessment, micro_credential_id, "ada")
    current = await submit(assessment, micro_credential_id)
    fresh = await submit(assessment, micro_credential_id)
    await resubmit(assessment, micro_credential_id, returning)
    assert await assessment.sweep(utcnow() + HOLD + timedelta(minutes=1)) == 1
    assert [item.held_until for item in (await assessment.list_unassigned(limit=10, cursor=None)).items] == [None] * 2

    await free_a_place_by_review(assessment, "ada", current)

    assert await holders(assessment, returning) == ["ada"] and await holders(assessment, fresh) == []


async def test_a_resubmission_submitted_longer_ago_than_the_hold_is_not_held(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(assessment, micro_credential_id, "ada")
    await submit(assessment, micro_credential_id)
    await pool(assessment, micro_credential_id, "bo")

    # Delivered late (a replayed event): the earner has waited out the hold already.
    event = attempt_event(micro_credential_id, submission_id=returning, attempt=2)
    await assessment.receive_attempt(event.model_copy(update={"submitted_at": utcnow() - HOLD - timedelta(hours=1)}))

    assert await holders(assessment, returning) == ["bo"]


async def test_with_a_hold_of_zero_a_resubmission_never_waits(assessment, micro_credential_id):
    unheld = AssessmentCalls(assessment.uow, SETTINGS.model_copy(update={"resubmission_hold_hours": 0}))
    await pool(unheld, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(unheld, micro_credential_id, "ada")
    await submit(unheld, micro_credential_id)
    await pool(unheld, micro_credential_id, "bo")

    await resubmit(unheld, micro_credential_id, returning)

    assert await holders(unheld, returning) == ["bo"]


# ---- an earlier assessor who may not take it: elsewhere at once ----------------------------


@pytest.mark.parametrize(
    "change",
    [AssessorUpdate(paused=True), AssessorUpdate(micro_credential_ids=[])],
    ids=["paused", "no-longer-qualified"],
)
async def test_a_held_resubmission_goes_elsewhere_at_once_when_its_assessor_may_no_longer_take_it(
    assessment, micro_credential_id, change
):
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    returning = await decided_by(assessment, micro_credential_id, "ada")
    await submit(assessment, micro_credential_id)
    await pool(assessment, micro_credential_id, "bo", capacity=1)
    await submit(assessment, micro_credential_id)  # bo is full too
    await pool(assessment, micro_credential_id, "cy")
    await resubmit(assessment, micro_credential_id, returning)
    assert await holders(assessment, returning) == []  # held for ada although cy has room

    await assessment.update_assessor("ada", change)

    assert await holders(assessment, returning) == ["cy"]


async def test_a_resubmission_conflicted_with_its_earlier_assessor_is_not_held(assessment, micro_credential_id):
    """Declared conflicts cannot change later, but the earner's organisation can (a move
    between districts): the assessor of the earlier attempt is then not waited for."""
    await assessment.create_assessor(new_assessor(micro_credential_id, "ada", capacity=1, organization_id="org-9"))
    returning = await decided_by(assessment, micro_credential_id, "ada")
    await submit(assessment, micro_credential_id)
    await pool(assessment, micro_credential_id, "bo")

    await resubmit(assessment, micro_credential_id, returning, conflicts=("org-9",))

    assert await holders(assessment, returning) == ["bo"]


# ---- the engine and the independent statement agree ----------------------------------------


async def test_resubmissions_follow_the_rule_on_random_pools(assessment):
    """Random pools, random deciders, fresh and late resubmissions: who gets each resubmission
    (or that it waits) is what the independent statement in tests/support says."""
    generator = random.Random(20261129)
    organisations = ["org-1", "org-2"]
    for round_number in range(8):
        # A micro-credential per round: the work of earlier rounds stays out of this one.
        micro_credential_id = new_id()
        await assessment.record_rubric(published(micro_credential_id))
        assessor_ids = [f"s{round_number}-{n}" for n in range(generator.randint(2, 7))]
        capacities = [generator.randint(1, 3) for _ in assessor_ids]
        for assessor_id, capacity in zip(assessor_ids, capacities, strict=True):
            await assessment.create_assessor(
                new_assessor(
                    micro_credential_id,
                    assessor_id,
                    capacity=capacity,
                    organization_id=generator.choice([None, *organisations]),
                )
            )
        # Around the pool's capacity: some assessors full, some with room.
        for _ in range(generator.randint(len(assessor_ids), sum(capacities) + 1)):
            await submit(assessment, micro_credential_id)
        for _ in range(generator.randint(2, 6)):
            decider = generator.choice(assessor_ids)
            holding = await first_attempts_held_by(assessment, decider)
            if not holding:
                continue
            submission_id, assignment_id = generator.choice(holding)
            await assessment.submit_review(decider, assignment_id, scored("not_yet"))
            for _ in range(generator.randint(0, 3)):  # fill the freed place, maybe more
                await submit(assessment, micro_credential_id)
            conflicts = tuple(generator.sample(organisations, generator.randint(0, 1)))
            late = generator.choice([False, True])
            candidates = await candidates_as_stored(assessment.session, micro_credential_id, assessor_ids)
            expected = chosen_by_the_rule(
                AttemptToAssign(
                    micro_credential_id,
                    frozenset(conflict_hash(KEY, c) for c in conflicts),
                    earlier_assessor_id=decider,
                    held=not late,
                ),
                candidates,
            )
            event = attempt_event(micro_credential_id, submission_id=submission_id, attempt=2, conflicts=conflicts)
            if late:
                event = event.model_copy(update={"submitted_at": utcnow() - HOLD - timedelta(hours=1)})
            await assessment.receive_attempt(event)
            assert await holders(assessment, submission_id) == ([expected.id] if expected else [])


async def first_attempts_held_by(assessment: AssessmentCalls, assessor_id: str) -> list[tuple[str, str]]:
    """(submission id, assignment id) of the first attempts the assessor holds open."""
    rows = await assessment.session.execute(
        select(Attempt.submission_id, Assignment.id)
        .join(Assignment, Assignment.attempt_id == Attempt.id)
        .where(
            Assignment.assessor_id == assessor_id,
            Assignment.state.in_(("assigned", "claimed")),
            Attempt.number == 1,
        )
        .order_by(Assignment.id)
    )
    return [(submission_id, assignment_id) for submission_id, assignment_id in rows]
