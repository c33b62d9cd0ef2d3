"""Reports for admins about the quality of assessment."""

from datetime import datetime

from awardpath_assessment.reports.report import ReliabilityReport, reliability_report
from awardpath_assessment.uow import AssessmentUnitOfWork
from awardpath_shared.errors import NotFound
from awardpath_shared.ids import utcnow


class ReportService:
    def __init__(self, uow: AssessmentUnitOfWork) -> None:
        self.uow = uow

    async def reliability(self, micro_credential_id: str, now: datetime | None = None) -> ReliabilityReport:
        rubrics = await self.uow.rubrics.versions_of(micro_credential_id)
        if not rubrics:
            raise NotFound("micro-credential", micro_credential_id)
        return reliability_report(
            micro_credential_id,
            rubrics,
            await self.uow.reports.attempts_of(micro_credential_id),
            await self.uow.reports.reviews_of(micro_credential_id),
            now or utcnow(),
        )
