"""HTTP entry point of verification: anyone posts a credential, JSON-LD or a VC-JWT."""

from typing import Annotated

from fastapi import Depends, Request

from awardpath_award.credentials.proofs import VC_JWT_MEDIA_TYPE
from awardpath_award.dependencies import RequestUnitOfWork, Settings
from awardpath_award.verification.result import Verification
from awardpath_award.verification.schemas import VerificationView
from awardpath_award.verification.service import VerificationService
from awardpath_shared.edge_input import refusal_of
from awardpath_shared.input_checks import UnacceptableInput, parse_json
from awardpath_shared.problems import Problem
from awardpath_shared.routes import service_router

router = service_router(tags=["credentials"])

JSON_MEDIA_TYPES = ("application/json", "application/ld+json", "application/vc+ld+json", "application/vc")
JWT_MEDIA_TYPES = (VC_JWT_MEDIA_TYPE, "application/jwt", "text/plain")


def _verifier(uow: RequestUnitOfWork, settings: Settings) -> VerificationService:
    return VerificationService(uow, settings)


Verifier = Annotated[VerificationService, Depends(_verifier)]


@router.post(
    "/v1/verify",
    response_model=VerificationView,
    responses={415: {"description": "Neither JSON nor a VC-JWT."}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"description": "A JSON-LD credential, or a VC-JWT as a JSON string"}},
                VC_JWT_MEDIA_TYPE: {"schema": {"type": "string"}},
            },
        }
    },
)
async def verify_credential(request: Request, verifier: Verifier) -> Verification:
    """Verify any posted credential: the proof, the OB 3.0 schema, the revocation status and
    the validity dates. Always 200 with `verified` and, per check, why it failed."""
    return await verifier.verify(await _presented(request))


async def _presented(request: Request) -> object:
    """The posted body: the text of a VC-JWT, or the parsed JSON."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media_type in JWT_MEDIA_TYPES:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise Problem(400, "bad-request", "Bad request", "the body is not UTF-8") from error
    if media_type not in JSON_MEDIA_TYPES:
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"post JSON (application/ld+json or application/json) or a VC-JWT ({VC_JWT_MEDIA_TYPE})",
        )
    try:
        return parse_json(body)
    except UnacceptableInput as refused:
        raise refusal_of(refused, "body") from refused
