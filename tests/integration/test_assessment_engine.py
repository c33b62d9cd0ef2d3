"""The assessment engine on a migrated database (both backends), rolled back per test:
leases and their expiry, release, pausing, double scoring with adjudication, calibration
gating, the private note and the reliability report."""

import random
from datetime import timedelta
from math import isclose

import pytest
from sqlalchemy import select

from awardpath_assessment.assignment.rule import AttemptToAssign
from awardpath_assessment.calibration.schemas import CalibrationSetCreate
from awardpath_assessment.models import Assessor, Attempt
from awardpath_assessment.pool.schemas import AssessorUpdate, ScoringPolicyUpdate
from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_shared.errors import DomainError
from awardpath_shared.events import AssessmentAssigned, AssessmentCompleted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import conflict_hash
from tests.support.assessment import (
    KEY,
    assignments_of,
    attempt_event,
    new_assessor,
    open_holder,
    open_load,
    pool,
    refused_with,
    scored,
    submit,
)
from tests.support.assignment_rule import candidates_as_stored, chosen_by_the_rule
from tests.support.outbox import staged

# ---- leases ----------------------------------------------------------------------------


async def test_an_expired_lease_returns_the_work_to_the_pool_and_someone_else_gets_it(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada")
    submission_id = await submit(assessment, micro_credential_id)
    claimed = await assessment.claim_next("ada")
    await pool(assessment, micro_credential_id, "bo", capacity=1)

    assert await assessment.expire_leases(claimed.lease_expires_at - timedelta(seconds=1)) == 0
    assert await assessment.expire_leases(claimed.lease_expires_at) == 1

    first, second = await assignments_of(assessment, submission_id)
    assert (first.id, first.state, first.ended_at is not None) == (claimed.assignment_id, "expired", True)
    assert (second.assessor_id, second.state) == ("bo", "assigned")
    assert (await open_load(assessment, "ada"), await open_load(assessment, "bo")) == (0, 1)
    with pytest.raises(DomainError) as error:  # a late review of expired work changes nothing
        await assessment.submit_review("ada", claimed.assignment_id, scored())
    refused_with(error, 409, "assignment-returned")
    assert await staged(assessment.uow, AssessmentCompleted) == []
    assert len(await staged(assessment.uow, AssessmentAssigned)) == 1  # the earner saw "in review" once


async def test_expired_work_comes_back_to_the_same_assessor_when_nobody_else_can_take_it(
    assessment, micro_credential_id
):
    await pool(assessment, micro_credential_id, "ada")
    submission_id = await submit(assessment, micro_credential_id)
    claimed = await assessment.claim_next("ada")

    await assessment.expire_leases(claimed.lease_expires_at + timedelta(minutes=1))

    holder = await open_holder(assessment, submission_id)
    assert (holder.assessor_id, holder.state) == ("ada", "assigned")
    assert holder.id != claimed.assignment_id and await open_load(assessment, "ada") == 1


async def test_an_unclaimed_or_unexpired_assignment_is_left_alone_by_the_sweep(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada")
    submission_id = await submit(assessment, micro_credential_id)
    assert await assessment.expire_leases(utcnow() + timedelta(days=30)) == 0
    assert (await open_holder(assessment, submission_id)).state == "assigned"


# ---- release ---------------------------------------------------------------------------


async def test_a_released_assignment_goes_to_another_assessor_and_never_back(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada", capacity=2)
    released_id = await submit(assessment, micro_credential_id)
    other_id = await submit(assessment, micro_credential_id)
    held = await open_holder(assessment, released_id)

    released = await assessment.release("ada", held.id)

    assert released.state == "released"
    assert await open_load(assessment, "ada") == 1  # the other attempt
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1  # nobody else yet
    await submit(assessment, micro_credential_id)  # ada has room and takes new work, not the released one
    assert await open_load(assessment, "ada") == 2
    await pool(assessment, micro_credential_id, "bo")
    assert (await open_holder(assessment, released_id)).assessor_id == "bo"
    assert (await open_holder(assessment, other_id)).assessor_id == "ada"

    for call in (
        lambda: assessment.release("ada", held.id),
        lambda: assessment.submit_review("ada", held.id, scored()),
    ):
        with pytest.raises(DomainError) as error:
            await call()
        refused_with(error, 409, "assignment-returned")
    with pytest.raises(DomainError) as error:
        await assessment.release("ada", (await open_holder(assessment, released_id)).id)
    refused_with(error, 403, "forbidden")


async def test_releasing_frees_room_for_waiting_work_the_assessor_may_take(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada", capacity=1)
    first = await submit(assessment, micro_credential_id)
    waiting = await submit(assessment, micro_credential_id)

    await assessment.release("ada", (await open_holder(assessment, first)).id)

    assert (await open_holder(assessment, waiting)).assessor_id == "ada"
    assert [a.state for a in await assignments_of(assessment, first)] == ["released"]


# ---- pausing ---------------------------------------------------------------------------


async def test_pausing_an_assessor_redistributes_their_open_work(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada", capacity=3)
    submissions = [await submit(assessment, micro_credential_id) for _ in range(3)]
    await assessment.claim_next("ada")
    await pool(assessment, micro_credential_id, "bo", capacity=2)

    paused = await assessment.update_assessor("ada", AssessorUpdate(paused=True))

    assert (paused.paused, paused.open_assignments) == (True, 0)
    holders = [(await assignments_of(assessment, s)) for s in submissions]
    assert [[a.state for a in held] for held in holders] == [["withdrawn", "assigned"]] * 2 + [["withdrawn"]]
    assert {held[-1].assessor_id for held in holders[:2]} == {"bo"}
    assert (await assessment.list_unassigned(limit=10, cursor=None)).count == 1  # bo is full

    resumed = await assessment.update_assessor("ada", AssessorUpdate(paused=False))
    assert resumed.open_assignments == 1  # the waiting one comes back to ada, now available


# ---- capacity and conflicts through the database ----------------------------------------


async def test_the_database_choice_follows_the_rule_through_fairness_order_and_conflicts(
    assessment, micro_credential_id
):
    """Who gets each arrival, worked out by hand from the rule: least loaded first, never
    assigned before the rest, then least recently assigned, then the smaller id."""
    await pool(assessment, micro_credential_id, "a", capacity=1, organization_id="org-1")
    await pool(assessment, micro_credential_id, "b", capacity=2)
    await pool(assessment, micro_credential_id, "c", capacity=2, organization_id="org-2")
    arrivals = [
        ((), "a"),  # all idle and never assigned: the smallest id
        (("org-2",), "b"),  # a is full, c is conflicted
        ((), "c"),  # c has nothing yet
        (("org-1",), "b"),  # b and c carry one each: b was assigned longer ago
        ((), "c"),  # b and a are full
        ((), None),  # everyone is full: it waits
    ]
    for conflicts, expected in arrivals:
        submission_id = await submit(assessment, micro_credential_id, conflicts=conflicts)
        assert [a.assessor_id for a in await assignments_of(assessment, submission_id)] == (
            [expected] if expected else []
        ), (conflicts, expected)
    assert [(await assessment.get_assessor(name)).open_assignments for name in "abc"] == [1, 2, 2]


async def test_the_database_choice_reads_past_a_page_of_conflicted_assessors(assessment, micro_credential_id):
    """Assessors are read a page (20) at a time in fairness order; when every one of the
    first page is conflicted the choice is on the next."""
    conflicted = [f"p{n:02}" for n in range(22)]
    await pool(assessment, micro_credential_id, *conflicted, capacity=1, organization_id="org-1")
    await pool(assessment, micro_credential_id, "q", capacity=1)

    for conflicts, expected in [(("org-1",), ["q"]), ((), ["p00"]), (("org-1",), [])]:
        submission_id = await submit(assessment, micro_credential_id, conflicts=conflicts)
        assert [a.assessor_id for a in await assignments_of(assessment, submission_id)] == expected


async def test_the_database_backed_choice_matches_the_rule_on_random_pools(assessment, micro_credential_id):
    """The assignment query and paging give the rule's answer (both backends); the rule's
    expectation is the independent statement in tests/support, not the code under test."""
    generator = random.Random(20261124)
    organisations = ["org-1", "org-2", "org-3"]
    for round_number in range(6):
        assessor_ids = [f"r{round_number}-{n}" for n in range(generator.randint(1, 30))]
        for assessor_id in assessor_ids:
            await assessment.create_assessor(
                new_assessor(
                    micro_credential_id,
                    assessor_id,
                    capacity=generator.randint(1, 3),
                    organization_id=generator.choice([None, *organisations]),
                )
            )
        for _ in range(generator.randint(0, 40)):
            conflicts = tuple(generator.sample(organisations, generator.randint(0, 2)))
            candidates = await candidates_as_stored(assessment.session, micro_credential_id, assessor_ids)
            expected = chosen_by_the_rule(
                AttemptToAssign(micro_credential_id, frozenset(conflict_hash(KEY, c) for c in conflicts)), candidates
            )
            submission_id = await submit(assessment, micro_credential_id, conflicts=conflicts)
            assigned = await assignments_of(assessment, submission_id)
            assert [a.assessor_id for a in assigned] == ([expected.id] if expected else [])
        for assessor in await assessment.session.scalars(select(Assessor).where(Assessor.id.in_(assessor_ids))):
            assert assessor.open_assignments <= assessor.capacity
            await assessment.update_assessor(assessor.id, AssessorUpdate(paused=True))  # out of the next round


# ---- double scoring and adjudication ----------------------------------------------------


async def double_scoring(assessment, micro_credential_id, *assessor_ids: str) -> str:
    await assessment.set_scoring_policy(micro_credential_id, ScoringPolicyUpdate(double_score_share=1.0))
    await pool(assessment, micro_credential_id, *assessor_ids)
    return await submit(assessment, micro_credential_id)


async def review_as(assessment, submission_id: str, assessor_id: str, body: ReviewCreate) -> None:
    [assignment] = [
        a
        for a in await assignments_of(assessment, submission_id)
        if a.assessor_id == assessor_id and a.state in ("assigned", "claimed")
    ]
    await assessment.submit_review(assessor_id, assignment.id, body)


async def test_a_double_scored_attempt_goes_to_two_assessors_who_agree_and_is_sent_once(
    assessment, micro_credential_id
):
    submission_id = await double_scoring(assessment, micro_credential_id, "ada", "bo", "cy")
    assigned = await assignments_of(assessment, submission_id)
    assert len(assigned) == 2 and len({a.assessor_id for a in assigned}) == 2
    first, second = (a.assessor_id for a in assigned)

    await review_as(assessment, submission_id, first, scored("proficient", note="First assessor's note"))
    assert await staged(assessment.uow, AssessmentCompleted) == []
    # Independent: the second assessor sees no trace of the first review.
    view = await assessment.blind_view(second, (await open_holder(assessment, submission_id)).id)
    assert view.earlier_feedback == [] and "First assessor" not in view.model_dump_json()

    await review_as(assessment, submission_id, second, scored("developing", note="Second"))

    [completed] = await staged(assessment.uow, AssessmentCompleted)
    assert completed["recommendation"] == "award"
    # The earlier of the two agreeing reviews decides: its levels, feedback and note.
    assert [s["level"] for s in completed["sections"]] == ["proficient", "proficient"]
    assert completed["note_to_issuer"] == "First assessor's note"
    assert len(await assignments_of(assessment, submission_id)) == 2  # no adjudication
    assert len(await staged(assessment.uow, AssessmentAssigned)) == 1


async def test_disagreeing_recommendations_go_to_a_third_assessor_whose_review_decides(assessment, micro_credential_id):
    submission_id = await double_scoring(assessment, micro_credential_id, "ada", "bo")
    first, second = (a.assessor_id for a in await assignments_of(assessment, submission_id))
    await review_as(assessment, submission_id, first, scored("proficient"))
    await review_as(assessment, submission_id, second, scored("not_yet"))

    assert await staged(assessment.uow, AssessmentCompleted) == []
    waiting = await assessment.list_unassigned(limit=10, cursor=None)
    assert [item.submission_id for item in waiting.items] == [submission_id]  # neither may adjudicate

    await pool(assessment, micro_credential_id, "cy")
    adjudication = await open_holder(assessment, submission_id)
    assert (adjudication.assessor_id, adjudication.kind) == ("cy", "adjudication")
    await assessment.submit_review("cy", adjudication.id, scored(reflection="not_yet", note="Adjudicated"))

    [completed] = await staged(assessment.uow, AssessmentCompleted)
    assert (completed["recommendation"], completed["note_to_issuer"]) == ("resubmit", "Adjudicated")
    assert [s["level"] for s in completed["sections"]] == ["proficient", "not_yet"]
    attempt = await assessment.session.get(Attempt, adjudication.attempt_id)
    assert (attempt.state, attempt.reviews_needed) == ("completed", 3)


async def test_a_double_scored_resubmission_goes_back_to_the_deciding_assessor_with_only_their_feedback(
    assessment, micro_credential_id
):
    submission_id = await double_scoring(assessment, micro_credential_id, "ada", "bo", "cy")
    first, second = (a.assessor_id for a in await assignments_of(assessment, submission_id))
    await review_as(assessment, submission_id, first, scored("not_yet"))
    await review_as(assessment, submission_id, second, scored("developing", "not_yet"))

    await assessment.receive_attempt(attempt_event(micro_credential_id, submission_id=submission_id, attempt=2))

    again = [a for a in await assignments_of(assessment, submission_id) if a.state == "assigned"]
    assert first in {a.assessor_id for a in again} and len(again) == 2
    view = await assessment.blind_view(first, next(a.id for a in again if a.assessor_id == first))
    assert [(f.attempt, [s.level for s in f.sections]) for f in view.earlier_feedback] == [
        (1, ["not_yet", "proficient"])
    ]


async def test_a_share_of_zero_scores_once_and_the_policy_can_be_read(assessment, micro_credential_id):
    assert (await assessment.get_scoring_policy(micro_credential_id)).configured is False
    await assessment.set_scoring_policy(micro_credential_id, ScoringPolicyUpdate(double_score_share=0))
    await pool(assessment, micro_credential_id, "ada", "bo")
    submission_id = await submit(assessment, micro_credential_id)
    assert len(await assignments_of(assessment, submission_id)) == 1
    policy = await assessment.get_scoring_policy(micro_credential_id)
    assert (policy.configured, policy.double_score_share) == (True, 0)


# ---- calibration -----------------------------------------------------------------------


def calibration_set(
    micro_credential_id: str, *agreed: tuple[str, str], threshold: float = 0.75
) -> CalibrationSetCreate:
    return CalibrationSetCreate(
        micro_credential_id=micro_credential_id,
        micro_credential_version=1,
        threshold=threshold,
        examples=[
            {
                "evidence": [
                    {"section_id": "overview", "text": f"Example {n} overview"},
                    {"section_id": "reflection", "text": f"Example {n} reflection"},
                ],
                "agreed_levels": [
                    {"section_id": "overview", "level": overview},
                    {"section_id": "reflection", "level": reflection},
                ],
            }
            for n, (overview, reflection) in enumerate(agreed)
        ],
    )


async def calibrate(assessment, assessor_id: str, answers: list[tuple[str, str]]):
    work = await assessment.calibration_work(assessor_id)
    assert len(work) == len(answers) and all(item.rubric for item in work)
    result = None
    for item, (overview, reflection) in zip(work, answers, strict=True):
        result = await assessment.submit_calibration_review(assessor_id, item.example_id, scored(overview, reflection))
    return result


async def test_a_new_assessor_gets_live_work_only_after_calibrating_above_the_threshold(
    assessment, micro_credential_id
):
    agreed = [("proficient", "proficient"), ("not_yet", "not_yet")]
    await assessment.create_calibration_set(calibration_set(micro_credential_id, *agreed))
    submission_id = await submit(assessment, micro_credential_id)

    created = await assessment.create_assessor(new_assessor(micro_credential_id, "ada"))
    assert [(q.status, q.calibration_agreement) for q in created.qualifications] == [("calibrating", None)]
    assert created.open_assignments == 0 and await assignments_of(assessment, submission_id) == []

    # 3 of 4 levels agree: 0.75 meets the threshold.
    result = await calibrate(assessment, "ada", [("proficient", "proficient"), ("developing", "not_yet")])

    assert (result.remaining, result.status, result.agreement) == (0, "qualified", 0.75)
    assert (await open_holder(assessment, submission_id)).assessor_id == "ada"
    assert await assessment.calibration_work("ada") == []


async def test_an_assessor_below_the_threshold_is_not_qualified_and_gets_no_live_work(assessment, micro_credential_id):
    await assessment.create_calibration_set(
        calibration_set(micro_credential_id, ("proficient", "proficient"), ("not_yet", "not_yet"), threshold=0.9)
    )
    await pool(assessment, micro_credential_id, "ada")
    first = await assessment.submit_calibration_review(
        "ada", (await assessment.calibration_work("ada"))[0].example_id, scored("proficient", "proficient")
    )
    assert (first.remaining, first.status, first.agreement) == (1, "calibrating", None)
    result = await calibrate(assessment, "ada", [("developing", "not_yet")])

    assert (result.status, result.agreement) == ("not_qualified", 0.75)
    submission_id = await submit(assessment, micro_credential_id)
    assert await assignments_of(assessment, submission_id) == []
    # Granting the micro-credential again starts a fresh calibration.
    await assessment.update_assessor("ada", AssessorUpdate(micro_credential_ids=[]))
    again = await assessment.update_assessor("ada", AssessorUpdate(micro_credential_ids=[micro_credential_id]))
    assert again.qualifications[0].status == "calibrating"
    assert len(await assessment.calibration_work("ada")) == 2


async def test_calibration_input_that_breaks_the_rules_is_refused(assessment, micro_credential_id):
    await assessment.create_calibration_set(calibration_set(micro_credential_id, ("proficient", "proficient")))
    await pool(assessment, micro_credential_id, "ada")
    await assessment.create_assessor(new_assessor("another-credential", "bo"))
    [item] = await assessment.calibration_work("ada")

    cases = [
        (
            lambda: assessment.create_calibration_set(calibration_set("unpublished", ("proficient", "proficient"))),
            422,
            "unknown-rubric",
        ),
        (
            lambda: assessment.create_calibration_set(
                calibration_set(micro_credential_id, ("excellent", "proficient"))
            ),
            422,
            "calibration-levels-invalid",
        ),
        (lambda: assessment.submit_calibration_review("bo", item.example_id, scored()), 403, "forbidden"),
        (lambda: assessment.submit_calibration_review("ada", new_id(), scored()), 404, "not-found"),
        (
            lambda: assessment.submit_calibration_review(
                "ada",
                item.example_id,
                ReviewCreate(
                    sections=[{"section_id": "overview", "level": "proficient", "feedback": "ok"}],
                    recommendation="award",
                ),
            ),
            422,
            "review-feedback-too-short",
        ),
    ]
    for call, status, slug in cases:
        with pytest.raises(DomainError) as error:
            await call()
        refused_with(error, status, slug)
    assert (await assessment.submit_calibration_review("ada", item.example_id, scored())).status == "qualified"
    with pytest.raises(DomainError) as error:
        await assessment.submit_calibration_review("ada", item.example_id, scored())
    refused_with(error, 403, "forbidden")  # calibration is over


async def test_assessors_qualified_before_a_calibration_set_keep_their_live_work(assessment, micro_credential_id):
    await pool(assessment, micro_credential_id, "ada")
    await assessment.create_calibration_set(calibration_set(micro_credential_id, ("proficient", "proficient")))
    submission_id = await submit(assessment, micro_credential_id)
    assert (await open_holder(assessment, submission_id)).assessor_id == "ada"


# ---- the reliability report ------------------------------------------------------------


async def test_the_reliability_report_gives_agreement_kappa_counts_and_rates(assessment, micro_credential_id):
    """Five double-scored attempts by ada then bo: the ten section pairs of the hand-worked
    kappa example in tests/unit/test_reliability.py (kappa 6/11, exact 0.7)."""
    await assessment.set_scoring_policy(micro_credential_id, ScoringPolicyUpdate(double_score_share=1.0))
    await pool(assessment, micro_credential_id, "ada", "bo")
    levels = [  # (ada overview, ada reflection), (bo overview, bo reflection)
        (("not_yet", "not_yet"), ("developing", "not_yet")),
        (("developing", "not_yet"), ("not_yet", "not_yet")),
        (("developing", "not_yet"), ("developing", "proficient")),
        (("developing", "proficient"), ("developing", "proficient")),
        (("developing", "proficient"), ("developing", "proficient")),
    ]
    for ada_levels, bo_levels in levels:
        submission_id = await submit(assessment, micro_credential_id)
        await review_as(assessment, submission_id, "ada", scored(*ada_levels))
        await review_as(assessment, submission_id, "bo", scored(*bo_levels))

    report = await assessment.reliability(micro_credential_id)

    assert (report.attempts_received, report.double_scored, report.reviews) == (5, 5, 10)
    # One disagreement on the recommendation waits for an adjudicator (nobody left).
    assert (report.attempts_completed, report.adjudicated) == (4, 1)
    assert report.recommendation_agreement == 0.8
    assert report.pass_rate == 0.5  # two of the four settled attempts were awarded
    assert report.agreement.pairs == 10
    assert isclose(report.agreement.exact_agreement, 0.7)
    assert report.agreement.adjacent_agreement == 1.0  # reflection has two levels only
    assert isclose(report.agreement.kappa, 6 / 11)
    assert report.turnaround.count == 4 and report.turnaround.mean_seconds >= 0
    ada, bo = report.assessors
    assert (ada.assessor_id, ada.reviews, ada.double_scored_reviews, ada.pass_rate) == ("ada", 5, 5, 0.4)
    assert (bo.assessor_id, bo.pass_rate) == ("bo", 0.6)
    assert isclose(ada.agreement.kappa, 6 / 11) and isclose(bo.agreement.kappa, 6 / 11)
    assert ada.turnaround.count == 5

    with pytest.raises(DomainError) as error:
        await assessment.reliability("no-such-credential")
    refused_with(error, 404, "not-found")
