"""The reliability report of one micro-credential: counts, turnaround (and the share of work
done within the turnaround target), pass rates and agreement between independent assessors,
overall and per assessor.

Within target: an attempt settled by its due time (`Attempt.due_at`); per assessor, a
review completed by the due time of its attempt.

Agreement comes from double-scored attempts only: the two independent reviews (never the
adjudication) give one level pair per rubric section. Per assessor, the assessor is the
first rater and the other independent assessor of the same attempt the second.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from awardpath_assessment.assignment.models import Assignment, AssignmentKind, Attempt, AttemptState
from awardpath_assessment.reports.statistics import Agreement, LevelPair, Turnaround, agreement, share, turnaround
from awardpath_assessment.review.models import Review
from awardpath_assessment.rubrics.models import Rubric
from awardpath_shared.rubrics import Recommendation, RubricSection


@dataclass(frozen=True)
class AssessorReliability:
    assessor_id: str
    reviews: int
    adjudications: int
    double_scored_reviews: int
    pass_rate: float | None
    turnaround: Turnaround
    within_target: float | None
    agreement: Agreement


@dataclass(frozen=True)
class ReliabilityReport:
    micro_credential_id: str
    attempts_received: int
    attempts_completed: int
    double_scored: int
    adjudicated: int
    reviews: int
    pass_rate: float | None
    recommendation_agreement: float | None
    turnaround: Turnaround
    turnaround_business_days: int
    within_target: float | None
    overdue: int
    agreement: Agreement
    assessors: list[AssessorReliability]


def reliability_report(
    micro_credential_id: str,
    rubrics: list[Rubric],
    attempts: list[Attempt],
    reviews: list[tuple[Review, Assignment]],
    now: datetime,
) -> ReliabilityReport:
    """`reviews` in completion order, each with its assignment; `overdue` counts the
    unsettled attempts past their due time at `now`."""
    sections = {rubric.version: {section.id: section for section in rubric.sections} for rubric in rubrics}
    attempts_by_id = {attempt.id: attempt for attempt in attempts}
    reviews_by_id = {review.id: review for review, _ in reviews}
    independent: dict[str, list[Review]] = defaultdict(list)
    for review, assignment in reviews:
        if assignment.kind == AssignmentKind.REVIEW and attempts_by_id[review.attempt_id].double_scored:
            independent[review.attempt_id].append(review)
    pairs = {attempt_id: pair for attempt_id, pair in independent.items() if len(pair) == 2}

    all_pairs: list[LevelPair] = []
    pairs_by_assessor: dict[str, list[LevelPair]] = defaultdict(list)
    for attempt_id, (first, second) in pairs.items():
        rubric = sections[attempts_by_id[attempt_id].micro_credential_version]
        all_pairs += _level_pairs(first, second, rubric)
        pairs_by_assessor[first.assessor_id] += _level_pairs(first, second, rubric)
        pairs_by_assessor[second.assessor_id] += _level_pairs(second, first, rubric)

    completed = [attempt for attempt in attempts if attempt.state == AttemptState.COMPLETED]
    awarded = sum(
        reviews_by_id[attempt.deciding_review_id].recommendation == Recommendation.AWARD
        for attempt in completed
        if attempt.deciding_review_id
    )
    same_recommendation = sum(first.recommendation == second.recommendation for first, second in pairs.values())
    return ReliabilityReport(
        micro_credential_id=micro_credential_id,
        attempts_received=len(attempts),
        attempts_completed=len(completed),
        double_scored=sum(attempt.double_scored for attempt in attempts),
        adjudicated=sum(attempt.reviews_needed == 3 for attempt in attempts),
        reviews=len(reviews),
        pass_rate=share(awarded, len(completed)),
        recommendation_agreement=share(same_recommendation, len(pairs)),
        turnaround=turnaround(
            [
                (attempt.completed_at - attempt.received_at).total_seconds()
                for attempt in completed
                if attempt.completed_at
            ]
        ),
        turnaround_business_days=max(rubrics, key=lambda rubric: rubric.version).turnaround_business_days,
        within_target=share(sum(attempt.settled_within_target for attempt in completed), len(completed)),
        overdue=sum(not attempt.state.is_settled and attempt.due_at <= now for attempt in attempts),
        agreement=agreement(all_pairs),
        assessors=_per_assessor(reviews, attempts_by_id, pairs_by_assessor, set(pairs)),
    )


def _per_assessor(
    reviews: list[tuple[Review, Assignment]],
    attempts_by_id: dict[str, Attempt],
    pairs_by_assessor: dict[str, list[LevelPair]],
    paired_attempt_ids: set[str],
) -> list[AssessorReliability]:
    by_assessor: dict[str, list[tuple[Review, Assignment]]] = defaultdict(list)
    for review, assignment in reviews:
        by_assessor[review.assessor_id].append((review, assignment))
    return [
        AssessorReliability(
            assessor_id=assessor_id,
            reviews=len(own),
            adjudications=sum(assignment.kind == AssignmentKind.ADJUDICATION for _, assignment in own),
            double_scored_reviews=sum(
                assignment.kind == AssignmentKind.REVIEW and review.attempt_id in paired_attempt_ids
                for review, assignment in own
            ),
            pass_rate=share(sum(review.recommendation == Recommendation.AWARD for review, _ in own), len(own)),
            turnaround=turnaround(list(_durations(own))),
            within_target=share(
                sum(review.completed_at <= attempts_by_id[review.attempt_id].due_at for review, _ in own), len(own)
            ),
            agreement=agreement(pairs_by_assessor[assessor_id]),
        )
        for assessor_id, own in sorted(by_assessor.items())
    ]


def _durations(own: list[tuple[Review, Assignment]]) -> Iterable[float]:
    """From assignment to review."""
    return ((review.completed_at - assignment.assigned_at).total_seconds() for review, assignment in own)


def _level_pairs(first: Review, second: Review, rubric: dict[str, RubricSection]) -> list[LevelPair]:
    second_levels = {section.section_id: section.level for section in second.sections}
    return [
        LevelPair(
            first=section.level,
            second=second_levels[section.section_id],
            first_rank=rubric[section.section_id].rank(section.level),
            second_rank=rubric[section.section_id].rank(second_levels[section.section_id]),
        )
        for section in first.sections
    ]
