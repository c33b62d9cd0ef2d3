"""HTTP entry point of the reliability report (admins)."""

from typing import Annotated

from fastapi import Depends, Query

from awardpath_assessment.dependencies import PROBLEM, Admin, RequestUnitOfWork
from awardpath_assessment.reports.report import ReliabilityReport
from awardpath_assessment.reports.schemas import ReliabilityReportView
from awardpath_assessment.reports.service import ReportService
from awardpath_shared.routes import service_router
from awardpath_shared.validation import Id

router = service_router(tags=["reports"])


def _reports(uow: RequestUnitOfWork) -> ReportService:
    return ReportService(uow)


Reports = Annotated[ReportService, Depends(_reports)]


@router.get("/v1/reports/reliability", response_model=ReliabilityReportView, responses={404: PROBLEM})
async def reliability_report(
    admin: Admin, reports: Reports, micro_credential_id: Annotated[Id, Query()]
) -> ReliabilityReport:
    """Counts, turnaround, pass rates, and exact / adjacent agreement and Cohen's kappa of
    section levels from double-scored work, for the micro-credential and per assessor."""
    return await reports.reliability(micro_credential_id)
