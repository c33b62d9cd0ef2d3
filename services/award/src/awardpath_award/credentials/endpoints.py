"""HTTP entry points of credentials: the credential in both proof formats, revocation, the
status lists, the public page and the Open Badges 2.0 hosted documents. Reads are public."""

from typing import Annotated, Any

from fastapi import Depends, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

from awardpath_award.credentials.models import Credential
from awardpath_award.credentials.page import credential_page
from awardpath_award.credentials.proofs import VC_JWT_MEDIA_TYPE
from awardpath_award.credentials.schemas import IssuedCredentialView, RevocationView, RevokeRequest
from awardpath_award.credentials.service import CredentialService, HostedBadgeService
from awardpath_award.credentials.urls import Urls
from awardpath_award.dependencies import IssuerCaller, RequestUnitOfWork, Settings
from awardpath_award.verification.endpoints import Verifier
from awardpath_shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, Paged
from awardpath_shared.routes import service_router
from awardpath_shared.validation import PathId, PathVersion

router = service_router(tags=["credentials"])
ob2_router = service_router(tags=["open badges 2.0"])

JSON_LD = "application/ld+json"


def _credentials(uow: RequestUnitOfWork, settings: Settings) -> CredentialService:
    return CredentialService(uow, settings)


Credentials = Annotated[CredentialService, Depends(_credentials)]


def _hosted(uow: RequestUnitOfWork, settings: Settings) -> HostedBadgeService:
    return HostedBadgeService(uow, settings)


Hosted = Annotated[HostedBadgeService, Depends(_hosted)]


def _json_ld(document: dict[str, Any], status_code: int = status.HTTP_200_OK) -> JSONResponse:
    return JSONResponse(document, status_code=status_code, media_type=JSON_LD)


@router.get("/v1/credentials", response_model=Page[IssuedCredentialView])
async def list_credentials(
    credentials: Credentials, principal: IssuerCaller, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Paged[Credential]:
    """The caller's credentials, oldest first, revoked ones included."""
    return await credentials.issued_by(principal.subject, cursor=cursor, limit=limit)


@router.get("/v1/credentials/{credential_id}", responses={200: {"content": {JSON_LD: {}, VC_JWT_MEDIA_TYPE: {}}}})
async def get_credential(credential_id: PathId, request: Request, credentials: Credentials) -> Response:
    """The Open Badges 3.0 credential as JSON-LD with its Data Integrity proof; with
    `Accept: application/vc+jwt`, the same credential as a VC-JWT."""
    credential = await credentials.get(credential_id)
    if VC_JWT_MEDIA_TYPE in request.headers.get("accept", ""):
        return Response(credential.jwt, media_type=VC_JWT_MEDIA_TYPE)
    return _json_ld(credential.document)


@router.post("/v1/credentials/{credential_id}/revoke", response_model=RevocationView)
async def revoke_credential(
    credential_id: PathId, body: RevokeRequest, credentials: Credentials, principal: IssuerCaller
) -> Credential:
    """Revoke (the credential's issuer only): its status list bit is set and the list re-signed."""
    return await credentials.revoke(principal.subject, credential_id, body.reason)


@router.get("/v1/status-lists/{status_list_id}")
async def get_status_list(status_list_id: PathId, credentials: Credentials) -> JSONResponse:
    """A signed BitstringStatusListCredential (revocation)."""
    return _json_ld((await credentials.status_list(status_list_id)).document)


@router.get("/v1/credentials/{credential_id}/page", response_class=HTMLResponse)
async def credential_html_page(
    credential_id: PathId, credentials: Credentials, verifier: Verifier, settings: Settings
) -> HTMLResponse:
    """The credential for people: achievement, issuer, date and the verification result."""
    credential = await credentials.get(credential_id)
    result = await verifier.verify(credential.document)
    urls = Urls(settings.public_url)
    links = {
        "Open Badges 3.0 credential (JSON-LD)": urls.credential(credential.id),
        "Open Badges 2.0 assertion": urls.ob2_assertion(credential.id),
    }
    return HTMLResponse(credential_page(credential.document, result, links))


# ---- Open Badges 2.0 hosted verification -----------------------------------------------


@ob2_router.get(
    "/v1/ob2/assertions/{credential_id}",
    responses={410: {"description": "Revoked: the assertion with `revoked: true`.", "content": {JSON_LD: {}}}},
)
async def ob2_assertion(credential_id: PathId, hosted: Hosted) -> JSONResponse:
    """The hosted OB 2.0 Assertion; a revoked one answers 410 Gone with `revoked: true`."""
    document = await hosted.assertion(credential_id)
    return _json_ld(document, status.HTTP_410_GONE if document.get("revoked") else status.HTTP_200_OK)


@ob2_router.get("/v1/ob2/badge-classes/{micro_credential_id}/{version}")
async def ob2_badge_class(micro_credential_id: PathId, version: PathVersion, hosted: Hosted) -> JSONResponse:
    return _json_ld(await hosted.badge_class(micro_credential_id, version))


@ob2_router.get("/v1/ob2/badge-classes/{micro_credential_id}/{version}/image")
async def badge_image(micro_credential_id: PathId, version: PathVersion, hosted: Hosted) -> Response:
    return Response(await hosted.badge_image(micro_credential_id, version), media_type="image/svg+xml")


@ob2_router.get("/v1/ob2/issuers/{issuer_id}")
async def ob2_issuer(issuer_id: PathId, hosted: Hosted) -> JSONResponse:
    return _json_ld(await hosted.issuer(issuer_id))
