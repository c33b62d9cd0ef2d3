"""Open Badges 3.0 credentials issued through the whole award path: both proof formats, the
schema, tamper evidence, revocation, key rotation, the hashed identity, the hosted pages."""

import hashlib
import json
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from awardpath_award.credentials.proofs import ProofError, decode_vc_jwt, verify_data_integrity_proof
from awardpath_award.credentials.standards import schema_errors
from awardpath_award.credentials.status_lists import bit_at, decode_status_list
from awardpath_award.keys.encodings import public_key_from_multikey
from tests.support.award_path import Earner, open_award_path
from tests.support.polling import eventually
from tests.support.system import problem


async def public(system, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=system.urls["award"], timeout=10) as client:
        return await client.get(path, **kwargs)


async def verify(system, body: Any, content_type: str = "application/json") -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.urls["award"], timeout=10) as client:
        content = body if isinstance(body, str) and content_type != "application/json" else json.dumps(body)
        response = await client.post("/v1/verify", content=content, headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    return response.json()


def checks(result: dict[str, Any]) -> dict[str, bool]:
    return {check["check"]: check["ok"] for check in result["checks"]}


async def credential_of(system, credential_id: str) -> tuple[dict[str, Any], str]:
    document = await public(system, f"/v1/credentials/{credential_id}")
    token = await public(system, f"/v1/credentials/{credential_id}", headers={"accept": "application/vc+jwt"})
    assert document.status_code == 200 and token.status_code == 200
    assert token.headers["content-type"].startswith("application/vc+jwt")
    return document.json(), token.text


async def issuer_keys(system, issuer_id: str) -> dict[str, Any]:
    """Verification method id -> public key, from the issuer's published did:web document."""
    did_document = (await public(system, f"/v1/issuers/{issuer_id}/did.json")).json()
    return {
        method["id"]: public_key_from_multikey(method["publicKeyMultibase"])
        for method in did_document["verificationMethod"]
    }


async def test_an_awarded_credential_verifies_in_both_formats_and_fits_the_schema(system, clients):
    path = await open_award_path(clients, policy="auto")
    earner = Earner()
    submission = await path.award(earner)
    document, token = await credential_of(system, submission["credential_id"])

    assert schema_errors(document) == []
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "MicroCredential"
    assert [item["name"] for item in achievement["resultDescription"]] == ["Overview", "Practice", "Reflection"]
    results = document["credentialSubject"]["result"]
    assert len(results) == 3 and all(result["achievedLevel"].endswith("-level-proficient") for result in results)
    assert document["issuer"]["id"].startswith("did:web:127.0.0.1%3A") and document["validFrom"]
    assert submission["credential_url"] == document["id"]

    # The earner is named by a salted hash of their email only.
    identity = document["credentialSubject"]["identifier"][0]
    expected = "sha256$" + hashlib.sha256((earner.email + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == expected and identity["hashed"] is True
    assert identity["identityType"] == "emailAddress"
    text = json.dumps(document) + jwt.decode(token, options={"verify_signature": False}).__repr__()
    for leak in [*earner.identity_strings(), "growth", path.assessor_ids["assessor-a"]]:
        assert leak not in text  # no identity, no feedback, no assessor

    for result in (await verify(system, document), await verify(system, token, "application/vc+jwt")):
        assert result["verified"] is True, result
        assert checks(result) == {"proof": True, "schema": True, "status": True, "validity": True}
        assert result["credential_id"] == document["id"]

    # Independently of the service's verifier: the JWT against the published JWKS.
    jwks = (await public(system, f"/v1/issuers/{path.issuer_id}/jwks.json")).json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = PyJWK(next(item for item in jwks["keys"] if item["kid"] == kid))
    claims = jwt.decode(token, key, algorithms=["EdDSA"])
    assert claims["iss"] == document["issuer"]["id"] and claims["jti"] == document["id"]
    assert jwt.get_unverified_header(token)["typ"] == "vc+jwt"


async def test_any_single_byte_change_fails_verification(system, clients):
    path = await open_award_path(clients, policy="auto")
    submission = await path.award(Earner())
    document, token = await credential_of(system, submission["credential_id"])
    keys = await issuer_keys(system, path.issuer_id)
    verify_data_integrity_proof(document, keys.__getitem__)  # the original verifies

    variants = list(tampered_documents(document))
    assert len(variants) > 100
    for where, variant in variants:
        try:
            verify_data_integrity_proof(variant, keys.__getitem__)
        except (ProofError, KeyError):
            continue
        raise AssertionError(f"the credential still verifies after a change at {where}")

    decode_vc_jwt(token, keys.__getitem__)
    for position in range(len(token)):
        if token[position] == ".":
            continue
        changed = token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1 :]
        try:
            decode_vc_jwt(changed, keys.__getitem__)
        except (ProofError, KeyError):
            continue
        raise AssertionError(f"a JWT changed at {position} still verifies")

    # The service's verifier says why.
    changed = json.loads(json.dumps(document))
    changed["credentialSubject"]["achievement"]["name"] += "!"
    result = await verify(system, changed)
    assert result["verified"] is False and checks(result)["proof"] is False
    assert "does not match" in next(c["detail"] for c in result["checks"] if c["check"] == "proof")
    result = await verify(system, token[:-3] + "AAA", "application/vc+jwt")
    assert result["verified"] is False and checks(result)["proof"] is False


def tampered_documents(document: Any, at: tuple = ()):
    """(where, copy) of `document` with one character of one key or string value changed."""

    def changed(text: str) -> str:
        middle = len(text) // 2
        return text[:middle] + ("x" if text[middle : middle + 1] != "x" else "y") + text[middle + 1 :]

    def rebuilt(replacement_at: tuple, replace) -> Any:
        copy = json.loads(json.dumps(document))
        parent = copy
        for step in replacement_at[:-1]:
            parent = parent[step]
        replace(parent, replacement_at[-1])
        return copy

    def walk(node: Any, trail: tuple):
        if isinstance(node, dict):
            for key, value in node.items():
                yield (
                    (*trail, key, "(key)"),
                    rebuilt((*trail, key), lambda parent, k: parent.__setitem__(changed(k), parent.pop(k))),
                )
                yield from walk(value, (*trail, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, (*trail, index))
        elif isinstance(node, str):
            yield trail, rebuilt(trail, lambda parent, k: parent.__setitem__(k, changed(parent[k])))
        elif isinstance(node, bool):
            yield trail, rebuilt(trail, lambda parent, k: parent.__setitem__(k, not parent[k]))

    yield from walk(document, at)


async def test_revoking_sets_the_status_bit_and_verification_then_reports_revoked(system, clients):
    path = await open_award_path(clients, policy="auto")
    submission = await path.award(Earner())
    credential_id = submission["credential_id"]
    document, token = await credential_of(system, credential_id)
    entry = document["credentialStatus"]
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    status_list_path = entry["statusListCredential"].removeprefix(system.urls["award"])

    async def status_bit() -> bool:
        status_list = (await public(system, status_list_path)).json()
        verify_data_integrity_proof(status_list, (await issuer_keys(system, path.issuer_id)).__getitem__)
        assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        return bit_at(
            decode_status_list(status_list["credentialSubject"]["encodedList"]), int(entry["statusListIndex"])
        )

    assert await status_bit() is False
    other_issuer = clients("award", "issuer", "someone-else")
    assert problem(await other_issuer.post(f"/v1/credentials/{credential_id}/revoke", json={"reason": "no"}), 403)
    revoked = await path.issuer.post(f"/v1/credentials/{credential_id}/revoke", json={"reason": "Awarded in error"})
    assert revoked.status_code == 200, revoked.text
    assert problem(await path.issuer.post(f"/v1/credentials/{credential_id}/revoke", json={"reason": "again"}), 409)
    assert await status_bit() is True

    for result in (await verify(system, document), await verify(system, token, "application/vc+jwt")):
        assert result["verified"] is False
        assert checks(result) == {"proof": True, "schema": True, "status": False, "validity": True}
        assert "revoked" in next(c["detail"] for c in result["checks"] if c["check"] == "status")
    await eventually(lambda: path.submission(submission["id"]), lambda body: body["credential_revoked_at"])
    assertion = await public(system, f"/v1/ob2/assertions/{credential_id}")
    assert assertion.status_code == 410 and assertion.json()["revoked"] is True
    page = await public(system, f"/v1/credentials/{credential_id}/page")
    assert page.status_code == 200 and "Not verified" in page.text


async def test_key_rotation_keeps_earlier_credentials_verifiable(system, clients):
    path = await open_award_path(clients, policy="auto", assessors=("assessor-a",))
    before = await path.award(Earner())
    rotated = await path.issuer.post(f"/v1/issuers/{path.issuer_id}/keys/rotate")
    assert rotated.status_code == 201, rotated.text
    assert problem(
        await clients("award", "issuer", "someone-else").post(f"/v1/issuers/{path.issuer_id}/keys/rotate"), 403
    )
    after = await path.award(Earner())

    old_document, old_token = await credential_of(system, before["credential_id"])
    new_document, new_token = await credential_of(system, after["credential_id"])
    old_method = old_document["proof"][0]["verificationMethod"]
    new_method = new_document["proof"][0]["verificationMethod"]
    assert new_method == rotated.json()["verification_method"] != old_method
    assert set(await issuer_keys(system, path.issuer_id)) == {old_method, new_method}
    for presented, content_type in [
        (old_document, "application/json"),
        (old_token, "application/vc+jwt"),
        (new_document, "application/json"),
        (new_token, "application/vc+jwt"),
    ]:
        assert (await verify(system, presented, content_type))["verified"] is True


async def test_the_public_page_and_the_open_badges_2_documents(system, clients):
    path = await open_award_path(clients, policy="auto")
    earner = Earner()
    submission = await path.award(earner)
    credential_id = submission["credential_id"]

    page = await public(system, f"/v1/credentials/{credential_id}/page")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Belonging and Caring Classroom Climate" in page.text and "Teaching Lab" in page.text
    assert "Verified" in page.text and earner.email not in page.text

    assertion = (await public(system, f"/v1/ob2/assertions/{credential_id}")).json()
    assert assertion["type"] == "Assertion" and assertion["verification"] == {"type": "hosted"}
    recipient = assertion["recipient"]
    assert recipient["identity"] == "sha256$" + hashlib.sha256((earner.email + recipient["salt"]).encode()).hexdigest()
    badge = (await public(system, assertion["badge"].removeprefix(system.urls["award"]))).json()
    assert badge["type"] == "BadgeClass" and badge["name"] == "Belonging and Caring Classroom Climate"
    issuer = (await public(system, badge["issuer"].removeprefix(system.urls["award"]))).json()
    assert issuer["type"] == "Issuer" and issuer["name"] == "Teaching Lab"
    image = await public(system, badge["image"].removeprefix(system.urls["award"]))
    assert image.headers["content-type"].startswith("image/svg+xml")


async def test_verify_refuses_what_is_not_a_credential(system, clients):
    async with httpx.AsyncClient(base_url=system.urls["award"], timeout=10) as client:
        assert problem(
            await client.post("/v1/verify", content=b"{nope", headers={"content-type": "application/json"}), 422
        )
        assert problem(await client.post("/v1/verify", json=[1, 2]), 422)
        assert problem(await client.post("/v1/verify", content=b"x", headers={"content-type": "image/png"}), 415)
    result = await verify(system, "not.a.jwt", "application/vc+jwt")
    assert result["verified"] is False and checks(result) == {"proof": False}
    assert problem(await public(system, "/v1/credentials/does-not-exist"), 404)
