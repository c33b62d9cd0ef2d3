"""Whether a review fits its rubric (live work and calibration alike): every section once,
with one of its levels and feedback of a minimum length, and a recommendation that agrees
with the levels (award exactly when every section reaches its passing level)."""

from typing import Any

from awardpath_assessment.review.schemas import ReviewCreate
from awardpath_shared.errors import Invalid
from awardpath_shared.rubrics import Recommendation, RubricSection, SectionResult


def validated_results(
    sections: list[RubricSection], review: ReviewCreate, min_feedback_chars: int
) -> list[SectionResult]:
    """The review's section results in rubric order, or Invalid naming what is wrong."""
    rubric = {section.id: section for section in sections}
    results: dict[str, SectionResult] = {}
    for score in review.sections:
        section = rubric.get(score.section_id)
        if section is None:
            raise _refused(
                "review-unknown-section",
                "Unknown rubric section",
                f"the rubric has no section {score.section_id!r}",
                score.section_id,
            )
        if score.section_id in results:
            raise _refused(
                "review-duplicate-section",
                "Section scored twice",
                f"section {score.section_id!r} is given more than once",
                score.section_id,
            )
        if score.level not in section.level_ids:
            raise _refused(
                "review-unknown-level",
                "Unknown level",
                f"section {score.section_id!r} has no level {score.level!r}; "
                f"its levels are {', '.join(section.level_ids)}",
                score.section_id,
            )
        feedback = score.feedback.strip()
        if len(feedback) < min_feedback_chars:
            raise _refused(
                "review-feedback-too-short",
                "Feedback missing or too short",
                f"section {score.section_id!r} needs feedback of at least {min_feedback_chars} characters",
                score.section_id,
            )
        results[score.section_id] = SectionResult(section_id=score.section_id, level=score.level, feedback=feedback)
    missing = [section_id for section_id in rubric if section_id not in results]
    if missing:
        raise _refused(
            "review-section-missing",
            "Section not scored",
            f"every rubric section needs a level and feedback; missing: {', '.join(missing)}",
            missing[0],
            missing_section_ids=missing,
        )
    ordered = [results[section_id] for section_id in rubric]
    _check_recommendation(sections, ordered, review.recommendation)
    return ordered


def _check_recommendation(
    sections: list[RubricSection], results: list[SectionResult], recommendation: Recommendation
) -> None:
    """Award exactly when every section reaches its passing level."""
    levels = {result.section_id: result.level for result in results}
    below = [section.id for section in sections if not section.passes(levels[section.id])]
    if recommendation == (Recommendation.RESUBMIT if below else Recommendation.AWARD):
        return
    if recommendation == Recommendation.AWARD:
        detail = f"award needs every section at its passing level; below it: {', '.join(below)}"
    else:
        detail = "every section reaches its passing level, so the recommendation is award"
    raise Invalid(
        "review-recommendation-contradicts-levels",
        "Recommendation contradicts the levels",
        detail,
        sections_below_passing=below,
    )


def _refused(code: str, title: str, detail: str, section_id: str, **extensions: Any) -> Invalid:
    return Invalid(code, title, detail, section_id=section_id, **extensions)
