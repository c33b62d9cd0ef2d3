"""HTTP endpoints of credentials: issuer keys (did:web, JWKS, rotation), credentials in both
proof formats, verification, revocation, the status lists, the public page and the Open
Badges 2.0 hosted documents. Reads are public; the request owns the transaction."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from awardpath_award import credentials, issuance, keys, repository, verification
from awardpath_award.models import Award, Recipient
from awardpath_award.pages import credential_page
from awardpath_award.proofs import VC_JWT_MEDIA_TYPE
from awardpath_award.schemas import IssuerKeyView, RevocationView, RevokeRequest, VerificationCheck, VerificationView
from awardpath_award.settings import AwardSettings
from awardpath_shared.auth import Principal, forbidden, require_role
from awardpath_shared.http import DbSession
from awardpath_shared.problems import Problem, not_found, unprocessable
from awardpath_shared.validation import PathId

router = APIRouter()

IssuerCaller = Annotated[Principal, Depends(require_role("issuer"))]
IssuerOrAdmin = Annotated[Principal, Depends(require_role("issuer", "admin"))]
JSON_LD = "application/ld+json"
JWT_MEDIA_TYPES = (VC_JWT_MEDIA_TYPE, "application/jwt", "text/plain")


def _settings(request: Request) -> AwardSettings:
    return request.app.state.runtime.settings


Settings = Annotated[AwardSettings, Depends(_settings)]


def _json_ld(document: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(document, status_code=status_code, media_type=JSON_LD)


# ---- issuer keys -----------------------------------------------------------------------


@router.get("/v1/issuers/{issuer_id}/did.json", tags=["issuer keys"])
async def issuer_did_document(issuer_id: PathId, session: DbSession, settings: Settings) -> JSONResponse:
    """The issuer's did:web document: every key it signs or signed with (`assertionMethod`)."""
    return JSONResponse(await issuance.did_document(session, settings, issuer_id), media_type="application/did+json")


@router.get("/v1/issuers/{issuer_id}/jwks.json", tags=["issuer keys"])
async def issuer_jwks(issuer_id: PathId, session: DbSession, settings: Settings) -> JSONResponse:
    """The same keys as a JWKS; `kid` is the did:web verification method id."""
    return JSONResponse(await issuance.jwks(session, settings, issuer_id), media_type="application/jwk-set+json")


@router.post("/v1/issuers/{issuer_id}/keys/rotate", status_code=201, tags=["issuer keys"])
async def rotate_issuer_key(
    issuer_id: PathId, session: DbSession, settings: Settings, principal: IssuerOrAdmin
) -> IssuerKeyView:
    """Retire the active signing key and make a new one (the issuer itself or an admin).
    Retired keys stay in the did:web document and JWKS: earlier credentials keep verifying."""
    if principal.role == "issuer" and principal.subject != issuer_id:
        raise forbidden("an issuer can rotate only its own key")
    key = await issuance.rotate_key(session, settings, issuer_id)
    did = keys.issuer_did(settings.public_url, issuer_id)
    return IssuerKeyView.of(key, keys.verification_method_id(did, key.public_key_multibase))


# ---- credentials -----------------------------------------------------------------------


@router.get(
    "/v1/credentials/{credential_id}",
    tags=["credentials"],
    responses={200: {"content": {JSON_LD: {}, VC_JWT_MEDIA_TYPE: {}}}},
)
async def get_credential(credential_id: PathId, request: Request, session: DbSession) -> Response:
    """The Open Badges 3.0 credential as JSON-LD with its Data Integrity proof; with
    `Accept: application/vc+jwt`, the same credential as a VC-JWT."""
    credential = await issuance.get_credential(session, credential_id)
    if VC_JWT_MEDIA_TYPE in request.headers.get("accept", ""):
        return Response(credential.jwt, media_type=VC_JWT_MEDIA_TYPE)
    return _json_ld(credential.document)


@router.post("/v1/credentials/{credential_id}/revoke", tags=["credentials"])
async def revoke_credential(
    credential_id: PathId, body: RevokeRequest, session: DbSession, settings: Settings, principal: IssuerCaller
) -> RevocationView:
    """Revoke (the credential's issuer only): its status list bit is set and the list re-signed."""
    credential = await issuance.revoke(session, settings, principal.subject, credential_id, body.reason)
    assert credential.revoked_at is not None and credential.revocation_reason is not None
    return RevocationView(
        credential_id=credential.id, revoked_at=credential.revoked_at, reason=credential.revocation_reason
    )


@router.get("/v1/status-lists/{status_list_id}", tags=["credentials"])
async def get_status_list(status_list_id: PathId, session: DbSession) -> JSONResponse:
    """A signed BitstringStatusListCredential (revocation)."""
    return _json_ld((await issuance.get_status_list(session, status_list_id)).document)


@router.post(
    "/v1/verify",
    tags=["credentials"],
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
async def verify_credential(request: Request, session: DbSession, settings: Settings) -> VerificationView:
    """Verify any posted credential: the proof, the OB 3.0 schema, the revocation status and
    the validity dates. Always 200 with `verified` and, per check, why it failed."""
    result = await verification.verify(session, settings, await _presented(request))
    return VerificationView(
        verified=result.verified,
        format=result.format,
        credential_id=result.credential_id,
        checks=[VerificationCheck(check=c.check, ok=c.ok, detail=c.detail) for c in result.checks],
    )


async def _presented(request: Request) -> dict[str, Any] | str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Problem(400, "bad-request", "Bad request", "the body is not UTF-8") from error
    if media_type in JWT_MEDIA_TYPES:
        return text
    if media_type not in ("application/json", JSON_LD, "application/vc+ld+json", "application/vc"):
        raise Problem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"post JSON ({JSON_LD} or application/json) or a VC-JWT ({VC_JWT_MEDIA_TYPE})",
        )
    try:
        presented = json.loads(text)
    except ValueError as error:
        raise Problem(400, "bad-request", "Bad request", f"the body is not JSON: {error}") from error
    if not isinstance(presented, dict | str):
        raise unprocessable("not-a-credential", "Not a credential", "post a JSON object (JSON-LD) or a string (VC-JWT)")
    return presented


@router.get("/v1/credentials/{credential_id}/page", response_class=HTMLResponse, tags=["credentials"])
async def credential_html_page(credential_id: PathId, session: DbSession, settings: Settings) -> HTMLResponse:
    """The credential for people: achievement, issuer, date and the verification result."""
    credential = await issuance.get_credential(session, credential_id)
    result = await verification.verify(session, settings, credential.document)
    urls = credentials.Urls(settings.public_url)
    links = {
        "Open Badges 3.0 credential (JSON-LD)": urls.credential(credential.id),
        "Open Badges 2.0 assertion": urls.ob2_assertion(credential.id),
    }
    return HTMLResponse(credential_page(credential.document, result, links))


# ---- Open Badges 2.0 hosted verification -----------------------------------------------


@router.get("/v1/ob2/assertions/{credential_id}", tags=["open badges 2.0"])
async def ob2_assertion(credential_id: PathId, session: DbSession, settings: Settings) -> JSONResponse:
    """The hosted OB 2.0 Assertion; a revoked one answers 410 Gone with `revoked: true`."""
    credential = await issuance.get_credential(session, credential_id)
    award = await session.get(Award, credential.award_id)
    recipient = await session.get(Recipient, credential.submission_id)
    assert award is not None and recipient is not None
    document = credentials.ob2_assertion(credential, award, recipient, credentials.Urls(settings.public_url))
    return _json_ld(document, 410 if credential.revoked_at else 200)


@router.get("/v1/ob2/badge-classes/{micro_credential_id}/{version}", tags=["open badges 2.0"])
async def ob2_badge_class(
    micro_credential_id: PathId, version: int, session: DbSession, settings: Settings
) -> JSONResponse:
    definition = await issuance.definition_of(session, micro_credential_id, version)
    issuer_id = definition.micro_credential.issuer_id
    return _json_ld(credentials.ob2_badge_class(definition, issuer_id, credentials.Urls(settings.public_url)))


@router.get("/v1/ob2/badge-classes/{micro_credential_id}/{version}/image", tags=["open badges 2.0"])
async def badge_image(micro_credential_id: PathId, version: int, session: DbSession) -> Response:
    definition = await issuance.definition_of(session, micro_credential_id, version)
    return Response(credentials.badge_image_svg(definition.title), media_type="image/svg+xml")


@router.get("/v1/ob2/issuers/{issuer_id}", tags=["open badges 2.0"])
async def ob2_issuer(issuer_id: PathId, session: DbSession, settings: Settings) -> JSONResponse:
    issuer = await repository.get_issuer(session, issuer_id)
    if issuer is None:
        raise not_found("issuer", issuer_id)
    return _json_ld(credentials.ob2_issuer(issuer, credentials.Urls(settings.public_url)))
