"""The reliability report as admins read it."""

from pydantic import Field

from awardpath_shared.schemas import View


class AgreementView(View):
    pairs: int = Field(description="Section levels given by two independent assessors.")
    exact_agreement: float | None = Field(validation_alias="exact")
    adjacent_agreement: float | None = Field(
        validation_alias="adjacent", description="Levels at most one apart (exact included)."
    )
    kappa: float | None = Field(description="Cohen's kappa; null when undefined.")


class TurnaroundView(View):
    count: int
    mean_seconds: float | None
    median_seconds: float | None


class AssessorReliabilityView(View):
    assessor_id: str
    reviews: int
    adjudications: int
    double_scored_reviews: int
    pass_rate: float | None = Field(description="Share of this assessor's reviews recommending award.")
    turnaround: TurnaroundView = Field(description="From assignment to review.")
    within_target: float | None = Field(
        description="Share of this assessor's reviews completed by the due time of their attempt."
    )
    agreement: AgreementView = Field(description="With the other independent assessor of the same attempts.")


class ReliabilityReportView(View):
    micro_credential_id: str
    attempts_received: int
    attempts_completed: int
    double_scored: int
    adjudicated: int
    reviews: int
    pass_rate: float | None = Field(description="Share of settled attempts whose outcome was award.")
    recommendation_agreement: float | None = Field(
        description="Share of double-scored attempts whose two reviews recommended the same."
    )
    turnaround: TurnaroundView = Field(description="From arrival to settled outcome.")
    turnaround_business_days: int = Field(description="The turnaround target of the latest version.")
    within_target: float | None = Field(
        description="Share of settled attempts settled by their due time (the turnaround target "
        "of their version, in business days after submission)."
    )
    overdue: int = Field(description="Attempts not yet settled and past their due time now.")
    agreement: AgreementView
    assessors: list[AssessorReliabilityView]
