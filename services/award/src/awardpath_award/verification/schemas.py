from awardpath_award.verification.result import CheckName, Format
from awardpath_shared.schemas import View


class VerificationCheckView(View):
    check: CheckName
    ok: bool
    detail: str


class VerificationView(View):
    verified: bool
    format: Format
    credential_id: str | None
    checks: list[VerificationCheckView]
