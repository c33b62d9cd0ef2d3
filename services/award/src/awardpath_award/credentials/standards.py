"""The standards documents this service speaks, shipped with it and never fetched at run time.

One map from the URL a document is known by to the file beside this module: the JSON-LD
contexts (for canonicalization and expansion) and the Open Badges 3.0 JSON schema.
"""

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from pyld import jsonld
from referencing import Registry, Resource

DIRECTORY = Path(__file__).parent / "standards"

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V2_CONTEXT = "https://w3id.org/openbadges/v2"
OB_V3_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json"

LOCAL_DOCUMENTS = {
    VC_V2_CONTEXT: "jsonld/credentials-v2.jsonld",
    OB_V3_CONTEXT: "jsonld/ob-v3p0-context-3.0.3.json",
    OB_V2_CONTEXT: "jsonld/openbadges-v2.json",
    OB_V3_SCHEMA: "schema/ob_v3p0_achievementcredential.json",
}


class UnknownDocument(LookupError):
    """A document outside the local map: refused rather than fetched."""


@cache
def _document(url: str) -> dict[str, Any]:
    relative = LOCAL_DOCUMENTS.get(url)
    if relative is None:
        raise UnknownDocument(f"{url} is not one of the locally shipped standards documents")
    document: dict[str, Any] = json.loads((DIRECTORY / relative).read_text(encoding="utf-8"))
    return document


def document_loader(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that answers from the local files only."""
    try:
        document = copy.deepcopy(_document(url))
    except UnknownDocument as error:
        raise jsonld.JsonLdError(str(error), "jsonld.LoadDocumentError", code="loading document failed") from error
    return {"contextUrl": None, "documentUrl": url, "document": document}


class UnsignableTerm(ValueError):
    """A term or IRI that JSON-LD processing would silently drop, so a signature could not
    cover it: refused, as in jsonld.js "safe mode"."""


def canonicalize(document: dict[str, Any]) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) as N-Quads, in safe mode:
    a property no context defines, or a relative type or id, raises UnsignableTerm instead of
    vanishing from what is signed (which would let it change under a valid proof)."""
    expanded = jsonld.expand(document, {"documentLoader": document_loader}, on_property_dropped=_refuse_dropped)
    _refuse_relative_iris(expanded)
    canonical: str = jsonld.normalize(
        expanded,
        {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader},
    )
    return canonical


def _refuse_dropped(term: str | None) -> None:
    raise UnsignableTerm(f"the property {term!r} is not defined by the document's contexts")


def _refuse_relative_iris(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _refuse_relative_iris(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("@id", "@type") and "@value" not in node:
                for iri in value if isinstance(value, list) else [value]:
                    if isinstance(iri, str) and ":" not in iri:
                        raise UnsignableTerm(f"{key} {iri!r} is not an absolute IRI")
            else:
                _refuse_relative_iris(value)


@cache
def achievement_credential_validator() -> Draft201909Validator:
    """The OB 3.0 AchievementCredential schema; its references resolve locally or not at all."""
    schema = _document(OB_V3_SCHEMA)
    registry = Registry().with_resource(OB_V3_SCHEMA, Resource.from_contents(schema))
    return Draft201909Validator(schema, registry=registry, format_checker=Draft201909Validator.FORMAT_CHECKER)


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Every way `credential` fails the OB 3.0 schema, as readable lines (empty when valid)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in sorted(achievement_credential_validator().iter_errors(credential), key=str)
    ]
