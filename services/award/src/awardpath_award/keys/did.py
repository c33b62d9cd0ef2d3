"""did:web identifiers of issuers and their DID documents: every key the issuer signs or
signed with, so every credential ever signed keeps verifying after a rotation."""

from typing import Any
from urllib.parse import quote, urlsplit


def issuer_did(public_url: str, issuer_id: str) -> str:
    """did:web of an issuer: resolves to `{public_url}/v1/issuers/{id}/did.json`."""
    parts = urlsplit(public_url)
    segments = [segment for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", quote(parts.netloc, safe=""), *segments, "v1", "issuers", issuer_id])


def verification_method_id(did: str, public_key_multibase: str) -> str:
    return f"{did}#{public_key_multibase}"


def did_document(did: str, public_keys: list[str]) -> dict[str, Any]:
    """The did:web document: every key the issuer ever signed with, newest first."""
    methods = [
        {
            "id": verification_method_id(did, key),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key,
        }
        for key in public_keys
    ]
    ids = [method["id"] for method in methods]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": ids,
        "authentication": ids,
    }
