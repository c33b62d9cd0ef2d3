"""The rubric read model: what assessors score against, per micro-credential version."""

from awardpath_assessment.rubrics.models import Rubric
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.events import MicroCredentialPublished


class RubricService:
    def __init__(self, uow: AssessmentUnitOfWork) -> None:
        self.uow = uow

    async def record(self, event: MicroCredentialPublished) -> None:
        """Upsert the rubric of one micro-credential version."""
        for section in event.sections:
            # A rubric no review could be checked against is refused loudly (it dead-letters).
            if section.passing_level not in section.level_ids:
                raise ValueError(f"section {section.id!r}: passing level {section.passing_level!r} is not a level")
        rubric = await self.uow.rubrics.get(event.micro_credential_id, event.version)
        if rubric is None:
            rubric = Rubric(micro_credential_id=event.micro_credential_id, version=event.version)
            self.uow.rubrics.add(rubric)
        rubric.title = event.title
        rubric.competency = event.competency
        rubric.key_method = event.key_method
        rubric.sections = event.sections
        rubric.turnaround_business_days = event.turnaround_business_days
        rubric.published_at = event.published_at
        await self.uow.flush()
