"""The assessment engine on a migrated database (both backends), rolled back per test:
leases and their expiry, release, pausing, double scoring with adjudication, calibration
gating, the private note and the reliability report."""

import random
from datetime import timedelta
from math import isclose

import pytest
from sqlalchemy import select

from awardpath_assessment.assignment import AttemptToAssign, CandidateAssessor, choose_assessor
from awardpath_assessment.models import Assessor, Assignment, Attempt
from awardpath_assessment.schemas import (
    AssessorUpdate,
    CalibrationSetCreate,
    ReviewIn,
    ScoringPolicyIn,
)
from awardpath_assessment.service import AssessmentService
from awardpath_shared.events import AssessmentAssigned, AssessmentCompleted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.privacy import conflict_hash
from awardpath_shared.problems import Problem
from tests.integration.test_assessment_service import (
    FEEDBACK,
    KEY,
    attempt_event,
    micro_credential_id,  # noqa: F401 (fixture)
    new_assessor,
    refused_with,
    service,  # noqa: F401 (fixture)
    staged,
)

LEVELS = {"overview": ("not_yet", "developing", "proficient"), "reflection": ("not_yet", "proficient")}
PASSING = {"overview": "developing", "reflection": "proficient"}


def scored(overview: str = "proficient", reflection: str = "proficient", note: str | None = None) -> ReviewIn:
    """A review whose recommendation follows its levels, as the rules demand."""
    levels = {"overview": overview, "reflection": reflection}
    passes = all(LEVELS[s].index(level) >= LEVELS[s].index(PASSING[s]) for s, level in levels.items())
    return ReviewIn(
        sections=[{"section_id": s, "level": level, "feedback": FEEDBACK} for s, level in levels.items()],
        recommendation="award" if passes else "resubmit",
        note_to_issuer=note,
    )


async def assignments_of(service: AssessmentService, submission_id: str) -> list[Assignment]:
    return list(
        await service.session.scalars(
            select(Assignment).join(Attempt).where(Attempt.submission_id == submission_id).order_by(Assignment.id)
        )
    )


async def open_holder(service: AssessmentService, submission_id: str) -> Assignment:
    [holder] = [a for a in await assignments_of(service, submission_id) if a.state in ("assigned", "claimed")]
    return holder


async def submit(service: AssessmentService, micro_credential_id: str, **fields) -> str:
    event = attempt_event(micro_credential_id, **fields)
    await service.receive_attempt(event)
    return event.submission_id


async def open_load(service: AssessmentService, assessor_id: str) -> int:
    return (await service.get_assessor(assessor_id)).open_assignments


async def pool(service: AssessmentService, micro_credential_id: str, *assessor_ids: str, **fields) -> None:
    for assessor_id in assessor_ids:
        await service.create_assessor(new_assessor(micro_credential_id, assessor_id, **fields))


# ---- leases ----------------------------------------------------------------------------


async def test_an_expired_lease_returns_the_work_to_the_pool_and_someone_else_gets_it(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada")
    submission_id = await submit(service, micro_credential_id)
    claimed = await service.claim_next("ada")
    await pool(service, micro_credential_id, "bo", capacity=1)

    assert await service.expire_leases(claimed.lease_expires_at - timedelta(seconds=1)) == 0
    assert await service.expire_leases(claimed.lease_expires_at) == 1

    first, second = await assignments_of(service, submission_id)
    assert (first.id, first.state, first.ended_at is not None) == (claimed.assignment_id, "expired", True)
    assert (second.assessor_id, second.state) == ("bo", "assigned")
    assert (await open_load(service, "ada"), await open_load(service, "bo")) == (0, 1)
    with pytest.raises(Problem) as error:  # a late review of expired work changes nothing
        await service.submit_review("ada", claimed.assignment_id, scored())
    refused_with(error, 409, "assignment-returned")
    assert await staged(service, AssessmentCompleted) == []
    assert len(await staged(service, AssessmentAssigned)) == 1  # the earner saw "in review" once


async def test_expired_work_comes_back_to_the_same_assessor_when_nobody_else_can_take_it(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada")
    submission_id = await submit(service, micro_credential_id)
    claimed = await service.claim_next("ada")

    await service.expire_leases(claimed.lease_expires_at + timedelta(minutes=1))

    holder = await open_holder(service, submission_id)
    assert (holder.assessor_id, holder.state) == ("ada", "assigned")
    assert holder.id != claimed.assignment_id and await open_load(service, "ada") == 1


async def test_an_unclaimed_or_unexpired_assignment_is_left_alone_by_the_sweep(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada")
    submission_id = await submit(service, micro_credential_id)
    assert await service.expire_leases(utcnow() + timedelta(days=30)) == 0
    assert (await open_holder(service, submission_id)).state == "assigned"


# ---- release ---------------------------------------------------------------------------


async def test_a_released_assignment_goes_to_another_assessor_and_never_back(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada", capacity=2)
    released_id = await submit(service, micro_credential_id)
    other_id = await submit(service, micro_credential_id)
    held = await open_holder(service, released_id)

    released = await service.release("ada", held.id)

    assert released.state == "released"
    assert await open_load(service, "ada") == 1  # the other attempt
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1  # nobody else yet
    await submit(service, micro_credential_id)  # ada has room and takes new work, not the released one
    assert await open_load(service, "ada") == 2
    await pool(service, micro_credential_id, "bo")
    assert (await open_holder(service, released_id)).assessor_id == "bo"
    assert (await open_holder(service, other_id)).assessor_id == "ada"

    for call in (lambda: service.release("ada", held.id), lambda: service.submit_review("ada", held.id, scored())):
        with pytest.raises(Problem) as error:
            await call()
        refused_with(error, 409, "assignment-returned")
    with pytest.raises(Problem) as error:
        await service.release("ada", (await open_holder(service, released_id)).id)
    refused_with(error, 403, "forbidden")


async def test_releasing_frees_room_for_waiting_work_the_assessor_may_take(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada", capacity=1)
    first = await submit(service, micro_credential_id)
    waiting = await submit(service, micro_credential_id)

    await service.release("ada", (await open_holder(service, first)).id)

    assert (await open_holder(service, waiting)).assessor_id == "ada"
    assert [a.state for a in await assignments_of(service, first)] == ["released"]


# ---- pausing ---------------------------------------------------------------------------


async def test_pausing_an_assessor_redistributes_their_open_work(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada", capacity=3)
    submissions = [await submit(service, micro_credential_id) for _ in range(3)]
    await service.claim_next("ada")
    await pool(service, micro_credential_id, "bo", capacity=2)

    paused = await service.update_assessor("ada", AssessorUpdate(paused=True))

    assert (paused.paused, paused.open_assignments) == (True, 0)
    holders = [(await assignments_of(service, s)) for s in submissions]
    assert [[a.state for a in held] for held in holders] == [["withdrawn", "assigned"]] * 2 + [["withdrawn"]]
    assert {held[-1].assessor_id for held in holders[:2]} == {"bo"}
    assert (await service.list_unassigned(limit=10, cursor=None)).count == 1  # bo is full

    resumed = await service.update_assessor("ada", AssessorUpdate(paused=False))
    assert resumed.open_assignments == 1  # the waiting one comes back to ada, now available


# ---- capacity and conflicts through the database ----------------------------------------


async def test_the_database_backed_choice_matches_the_rule_on_random_pools(service, micro_credential_id):
    """The assignment query and paging give the pure rule's answer (both backends)."""
    generator = random.Random(20261124)
    organisations = ["org-1", "org-2", "org-3"]
    for round_number in range(6):
        assessor_ids = [f"r{round_number}-{n}" for n in range(generator.randint(1, 30))]
        for assessor_id in assessor_ids:
            await service.create_assessor(
                new_assessor(
                    micro_credential_id,
                    assessor_id,
                    capacity=generator.randint(1, 3),
                    organization_id=generator.choice([None, *organisations]),
                )
            )
        for _ in range(generator.randint(0, 40)):
            conflicts = tuple(generator.sample(organisations, generator.randint(0, 2)))
            candidates = [
                CandidateAssessor(
                    id=a.id,
                    micro_credential_ids=frozenset({micro_credential_id}),
                    capacity=a.capacity,
                    open_assignments=a.open_assignments,
                    paused=a.paused,
                    conflict_hashes=a.all_conflict_hashes,
                    last_assigned_at=a.last_assigned_at,
                )
                for a in await service.session.scalars(select(Assessor).where(Assessor.id.in_(assessor_ids)))
            ]
            expected = choose_assessor(
                AttemptToAssign(micro_credential_id, frozenset(conflict_hash(KEY, c) for c in conflicts)), candidates
            )
            submission_id = await submit(service, micro_credential_id, conflicts=conflicts)
            assigned = await assignments_of(service, submission_id)
            assert [a.assessor_id for a in assigned] == ([expected.id] if expected else [])
        for assessor in await service.session.scalars(select(Assessor).where(Assessor.id.in_(assessor_ids))):
            assert assessor.open_assignments <= assessor.capacity
            await service.update_assessor(assessor.id, AssessorUpdate(paused=True))  # out of the next round


# ---- double scoring and adjudication ----------------------------------------------------


async def double_scoring(service, micro_credential_id, *assessor_ids: str) -> str:
    await service.set_scoring_policy(micro_credential_id, ScoringPolicyIn(double_score_share=1.0))
    await pool(service, micro_credential_id, *assessor_ids)
    return await submit(service, micro_credential_id)


async def review_as(service, submission_id: str, assessor_id: str, body: ReviewIn) -> None:
    [assignment] = [
        a
        for a in await assignments_of(service, submission_id)
        if a.assessor_id == assessor_id and a.state in ("assigned", "claimed")
    ]
    await service.submit_review(assessor_id, assignment.id, body)


async def test_a_double_scored_attempt_goes_to_two_assessors_who_agree_and_is_sent_once(service, micro_credential_id):
    submission_id = await double_scoring(service, micro_credential_id, "ada", "bo", "cy")
    assigned = await assignments_of(service, submission_id)
    assert len(assigned) == 2 and len({a.assessor_id for a in assigned}) == 2
    first, second = (a.assessor_id for a in assigned)

    await review_as(service, submission_id, first, scored("proficient", note="First assessor's note"))
    assert await staged(service, AssessmentCompleted) == []
    # Independent: the second assessor sees no trace of the first review.
    view = await service.blind_view(second, (await open_holder(service, submission_id)).id)
    assert view.earlier_feedback == [] and "First assessor" not in view.model_dump_json()

    await review_as(service, submission_id, second, scored("developing", note="Second"))

    [completed] = await staged(service, AssessmentCompleted)
    assert completed["recommendation"] == "award"
    # The earlier of the two agreeing reviews decides: its levels, feedback and note.
    assert [s["level"] for s in completed["sections"]] == ["proficient", "proficient"]
    assert completed["note_to_issuer"] == "First assessor's note"
    assert len(await assignments_of(service, submission_id)) == 2  # no adjudication
    assert len(await staged(service, AssessmentAssigned)) == 1


async def test_disagreeing_recommendations_go_to_a_third_assessor_whose_review_decides(service, micro_credential_id):
    submission_id = await double_scoring(service, micro_credential_id, "ada", "bo")
    first, second = (a.assessor_id for a in await assignments_of(service, submission_id))
    await review_as(service, submission_id, first, scored("proficient"))
    await review_as(service, submission_id, second, scored("not_yet"))

    assert await staged(service, AssessmentCompleted) == []
    waiting = await service.list_unassigned(limit=10, cursor=None)
    assert [item.submission_id for item in waiting.items] == [submission_id]  # neither may adjudicate

    await pool(service, micro_credential_id, "cy")
    adjudication = await open_holder(service, submission_id)
    assert (adjudication.assessor_id, adjudication.kind) == ("cy", "adjudication")
    await service.submit_review("cy", adjudication.id, scored(reflection="not_yet", note="Adjudicated"))

    [completed] = await staged(service, AssessmentCompleted)
    assert (completed["recommendation"], completed["note_to_issuer"]) == ("resubmit", "Adjudicated")
    assert [s["level"] for s in completed["sections"]] == ["proficient", "not_yet"]
    attempt = await service.session.get(Attempt, adjudication.attempt_id)
    assert (attempt.state, attempt.reviews_needed) == ("completed", 3)


async def test_a_double_scored_resubmission_goes_back_to_the_deciding_assessor_with_only_their_feedback(
    service, micro_credential_id
):
    submission_id = await double_scoring(service, micro_credential_id, "ada", "bo", "cy")
    first, second = (a.assessor_id for a in await assignments_of(service, submission_id))
    await review_as(service, submission_id, first, scored("not_yet"))
    await review_as(service, submission_id, second, scored("developing", "not_yet"))

    await service.receive_attempt(attempt_event(micro_credential_id, submission_id=submission_id, attempt=2))

    again = [a for a in await assignments_of(service, submission_id) if a.state == "assigned"]
    assert first in {a.assessor_id for a in again} and len(again) == 2
    view = await service.blind_view(first, next(a.id for a in again if a.assessor_id == first))
    assert [(f.attempt, [s.level for s in f.sections]) for f in view.earlier_feedback] == [
        (1, ["not_yet", "proficient"])
    ]


async def test_a_share_of_zero_scores_once_and_the_policy_can_be_read(service, micro_credential_id):
    assert (await service.get_scoring_policy(micro_credential_id)).configured is False
    await service.set_scoring_policy(micro_credential_id, ScoringPolicyIn(double_score_share=0))
    await pool(service, micro_credential_id, "ada", "bo")
    submission_id = await submit(service, micro_credential_id)
    assert len(await assignments_of(service, submission_id)) == 1
    policy = await service.get_scoring_policy(micro_credential_id)
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


async def calibrate(service, assessor_id: str, answers: list[tuple[str, str]]):
    work = await service.calibration_work(assessor_id)
    assert len(work) == len(answers) and all(item.rubric for item in work)
    result = None
    for item, (overview, reflection) in zip(work, answers, strict=True):
        result = await service.submit_calibration_review(assessor_id, item.example_id, scored(overview, reflection))
    return result


async def test_a_new_assessor_gets_live_work_only_after_calibrating_above_the_threshold(service, micro_credential_id):
    agreed = [("proficient", "proficient"), ("not_yet", "not_yet")]
    await service.create_calibration_set(calibration_set(micro_credential_id, *agreed))
    submission_id = await submit(service, micro_credential_id)

    created = await service.create_assessor(new_assessor(micro_credential_id, "ada"))
    assert [(q.status, q.calibration_agreement) for q in created.qualifications] == [("calibrating", None)]
    assert created.open_assignments == 0 and await assignments_of(service, submission_id) == []

    # 3 of 4 levels agree: 0.75 meets the threshold.
    result = await calibrate(service, "ada", [("proficient", "proficient"), ("developing", "not_yet")])

    assert (result.remaining, result.status, result.agreement) == (0, "qualified", 0.75)
    assert (await open_holder(service, submission_id)).assessor_id == "ada"
    assert await service.calibration_work("ada") == []


async def test_an_assessor_below_the_threshold_is_not_qualified_and_gets_no_live_work(service, micro_credential_id):
    await service.create_calibration_set(
        calibration_set(micro_credential_id, ("proficient", "proficient"), ("not_yet", "not_yet"), threshold=0.9)
    )
    await pool(service, micro_credential_id, "ada")
    first = await service.submit_calibration_review(
        "ada", (await service.calibration_work("ada"))[0].example_id, scored("proficient", "proficient")
    )
    assert (first.remaining, first.status, first.agreement) == (1, "calibrating", None)
    result = await calibrate(service, "ada", [("developing", "not_yet")])

    assert (result.status, result.agreement) == ("not_qualified", 0.75)
    submission_id = await submit(service, micro_credential_id)
    assert await assignments_of(service, submission_id) == []
    # Granting the micro-credential again starts a fresh calibration.
    await service.update_assessor("ada", AssessorUpdate(micro_credential_ids=[]))
    again = await service.update_assessor("ada", AssessorUpdate(micro_credential_ids=[micro_credential_id]))
    assert again.qualifications[0].status == "calibrating"
    assert len(await service.calibration_work("ada")) == 2


async def test_calibration_input_that_breaks_the_rules_is_refused(service, micro_credential_id):
    await service.create_calibration_set(calibration_set(micro_credential_id, ("proficient", "proficient")))
    await pool(service, micro_credential_id, "ada")
    await service.create_assessor(new_assessor("another-credential", "bo"))
    [item] = await service.calibration_work("ada")

    cases = [
        (
            lambda: service.create_calibration_set(calibration_set("unpublished", ("proficient", "proficient"))),
            422,
            "unknown-rubric",
        ),
        (
            lambda: service.create_calibration_set(calibration_set(micro_credential_id, ("excellent", "proficient"))),
            422,
            "calibration-levels-invalid",
        ),
        (lambda: service.submit_calibration_review("bo", item.example_id, scored()), 403, "forbidden"),
        (lambda: service.submit_calibration_review("ada", new_id(), scored()), 404, "not-found"),
        (
            lambda: service.submit_calibration_review(
                "ada",
                item.example_id,
                ReviewIn(
                    sections=[{"section_id": "overview", "level": "proficient", "feedback": "ok"}],
                    recommendation="award",
                ),
            ),
            422,
            "review-feedback-too-short",
        ),
    ]
    for call, status, slug in cases:
        with pytest.raises(Problem) as error:
            await call()
        refused_with(error, status, slug)
    assert (await service.submit_calibration_review("ada", item.example_id, scored())).status == "qualified"
    with pytest.raises(Problem) as error:
        await service.submit_calibration_review("ada", item.example_id, scored())
    refused_with(error, 403, "forbidden")  # calibration is over


async def test_assessors_qualified_before_a_calibration_set_keep_their_live_work(service, micro_credential_id):
    await pool(service, micro_credential_id, "ada")
    await service.create_calibration_set(calibration_set(micro_credential_id, ("proficient", "proficient")))
    submission_id = await submit(service, micro_credential_id)
    assert (await open_holder(service, submission_id)).assessor_id == "ada"


# ---- the reliability report ------------------------------------------------------------


async def test_the_reliability_report_gives_agreement_kappa_counts_and_rates(service, micro_credential_id):
    """Five double-scored attempts by ada then bo: the ten section pairs of the hand-worked
    kappa example in tests/unit/test_reliability.py (kappa 6/11, exact 0.7)."""
    await service.set_scoring_policy(micro_credential_id, ScoringPolicyIn(double_score_share=1.0))
    await pool(service, micro_credential_id, "ada", "bo")
    levels = [  # (ada overview, ada reflection), (bo overview, bo reflection)
        (("not_yet", "not_yet"), ("developing", "not_yet")),
        (("developing", "not_yet"), ("not_yet", "not_yet")),
        (("developing", "not_yet"), ("developing", "proficient")),
        (("developing", "proficient"), ("developing", "proficient")),
        (("developing", "proficient"), ("developing", "proficient")),
    ]
    for ada_levels, bo_levels in levels:
        submission_id = await submit(service, micro_credential_id)
        await review_as(service, submission_id, "ada", scored(*ada_levels))
        await review_as(service, submission_id, "bo", scored(*bo_levels))

    report = await service.reliability(micro_credential_id)

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

    with pytest.raises(Problem) as error:
        await service.reliability("no-such-credential")
    refused_with(error, 404, "not-found")
