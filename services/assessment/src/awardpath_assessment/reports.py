"""The reliability report of one micro-credential: counts, turnaround, pass rates and
agreement between independent assessors, overall and per assessor.

Agreement comes from double-scored attempts only: the two independent reviews (never the
adjudication) give one level pair per rubric section. Per assessor, the assessor is the
first rater and the other independent assessor of the same attempt the second.
"""

from collections import defaultdict
from collections.abc import Iterable

from awardpath_assessment.models import Assignment, Attempt, Review, Rubric
from awardpath_assessment.reliability import LevelPair, agreement, share, turnaround
from awardpath_assessment.schemas import (
    AgreementOut,
    AssessorReliability,
    ReliabilityReport,
    TurnaroundOut,
)


def reliability_report(
    micro_credential_id: str,
    rubrics: list[Rubric],
    attempts: list[Attempt],
    reviews: list[tuple[Review, Assignment]],
) -> ReliabilityReport:
    """`reviews` in completion order, each with its assignment."""
    ranks = {rubric.version: _level_ranks(rubric) for rubric in rubrics}
    attempts_by_id = {attempt.id: attempt for attempt in attempts}
    reviews_by_id = {review.id: review for review, _ in reviews}
    independent: dict[str, list[Review]] = defaultdict(list)
    for review, assignment in reviews:
        if assignment.kind == "review" and attempts_by_id[review.attempt_id].double_scored:
            independent[review.attempt_id].append(review)
    pairs = {attempt_id: pair for attempt_id, pair in independent.items() if len(pair) == 2}

    all_pairs: list[LevelPair] = []
    pairs_by_assessor: dict[str, list[LevelPair]] = defaultdict(list)
    for attempt_id, (first, second) in pairs.items():
        section_ranks = ranks[attempts_by_id[attempt_id].micro_credential_version]
        all_pairs += _level_pairs(first, second, section_ranks)
        pairs_by_assessor[first.assessor_id] += _level_pairs(first, second, section_ranks)
        pairs_by_assessor[second.assessor_id] += _level_pairs(second, first, section_ranks)

    completed = [attempt for attempt in attempts if attempt.state == "completed"]
    awarded = sum(reviews_by_id[attempt.deciding_review_id].recommendation == "award" for attempt in completed)
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
        turnaround=_turnaround_out(
            (attempt.completed_at - attempt.received_at).total_seconds() for attempt in completed
        ),
        agreement=_agreement_out(all_pairs),
        assessors=_per_assessor(reviews, pairs_by_assessor, set(pairs)),
    )


def _per_assessor(
    reviews: list[tuple[Review, Assignment]],
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
            adjudications=sum(assignment.kind == "adjudication" for _, assignment in own),
            double_scored_reviews=sum(
                assignment.kind == "review" and review.attempt_id in paired_attempt_ids for review, assignment in own
            ),
            pass_rate=share(sum(review.recommendation == "award" for review, _ in own), len(own)),
            turnaround=_turnaround_out(
                (review.completed_at - assignment.assigned_at).total_seconds() for review, assignment in own
            ),
            agreement=_agreement_out(pairs_by_assessor[assessor_id]),
        )
        for assessor_id, own in sorted(by_assessor.items())
    ]


def _level_ranks(rubric: Rubric) -> dict[str, dict[str, int]]:
    return {
        section["id"]: {level["id"]: rank for rank, level in enumerate(section["levels"])}
        for section in rubric.sections
    }


def _level_pairs(first: Review, second: Review, ranks: dict[str, dict[str, int]]) -> list[LevelPair]:
    second_levels = {section["section_id"]: section["level"] for section in second.sections}
    return [
        LevelPair(
            first=section["level"],
            second=second_levels[section["section_id"]],
            first_rank=ranks[section["section_id"]][section["level"]],
            second_rank=ranks[section["section_id"]][second_levels[section["section_id"]]],
        )
        for section in first.sections
    ]


def _agreement_out(pairs: list[LevelPair]) -> AgreementOut:
    found = agreement(pairs)
    return AgreementOut(
        pairs=found.pairs, exact_agreement=found.exact, adjacent_agreement=found.adjacent, kappa=found.kappa
    )


def _turnaround_out(durations: Iterable[float]) -> TurnaroundOut:
    found = turnaround(list(durations))
    return TurnaroundOut(count=found.count, mean_seconds=found.mean_seconds, median_seconds=found.median_seconds)
