"""Bodies of a review: a level and growth feedback per section, and a recommendation."""

from typing import Annotated

from pydantic import Field

from awardpath_shared.rubrics import Recommendation
from awardpath_shared.schemas import RequestBody, View


class SectionScoreCreate(RequestBody):
    section_id: Annotated[str, Field(min_length=1, max_length=100)]
    level: Annotated[str, Field(min_length=1, max_length=100)]
    feedback: Annotated[str, Field(max_length=20_000)]


class ReviewCreate(RequestBody):
    sections: Annotated[list[SectionScoreCreate], Field(min_length=1, max_length=100)]
    recommendation: Recommendation = Field(strict=False)
    note_to_issuer: Annotated[str | None, Field(max_length=5_000)] = Field(
        default=None,
        description="Private note for the issuer of record; the earner never sees it.",
    )


class ReviewView(View):
    review_id: str = Field(validation_alias="id")
    assignment_id: str
    recommendation: Recommendation
