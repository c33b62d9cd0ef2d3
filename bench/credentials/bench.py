"""Credentials per second: signing and verifying an Awardpath OpenBadgeCredential in each proof
format (Data Integrity eddsa-rdfc-2022, VC-JWT EdDSA), next to raw Ed25519 as the ceiling.

Run: .venv/bin/python bench/credentials/bench.py [--seconds 3]
"""

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from awardpath_award.credentials.documents import open_badge_credential
from awardpath_award.credentials.proofs import (
    add_data_integrity_proof,
    decode_vc_jwt,
    encode_vc_jwt,
    verify_data_integrity_proof,
)
from awardpath_award.credentials.urls import Urls
from awardpath_award.keys.did import issuer_did, verification_method_id
from awardpath_award.keys.encodings import multikey
from awardpath_award.models import Award, Issuer, MicroCredentialVersion, Recipient
from awardpath_shared.events import DecisionPolicy
from awardpath_shared.privacy import identity_hash
from awardpath_shared.rubrics import RubricSection, SectionResult

SECTIONS = ("overview", "practice", "reflection")


def sample_credential(did: str) -> dict:
    """A credential the size of a real one: three rubric sections with three levels each."""
    now = datetime.now(UTC)
    urls = Urls("https://badges.example.org")
    definition = MicroCredentialVersion(
        micro_credential_id="mc-1",
        version=1,
        title="Belonging and Caring Classroom Climate",
        competency="The educator creates a classroom climate where students feel cared for and belong.",
        key_method="Student check-in circles",
        max_attempts=3,
        decision_policy=DecisionPolicy.MANUAL,
        published_at=now,
        sections=[
            RubricSection.model_validate(
                {
                    "id": section,
                    "title": section.title(),
                    "prompt": "...",
                    "evidence": "text",
                    "required": True,
                    "levels": [
                        {"id": level, "name": level.title()} for level in ("not_yet", "developing", "proficient")
                    ],
                    "passing_level": "proficient",
                }
            )
            for section in SECTIONS
        ],
    )
    award = Award(
        id="award-1",
        micro_credential_id="mc-1",
        micro_credential_version=1,
        awarded_at=now,
        results=[SectionResult(section_id=section, level="proficient", feedback="...") for section in SECTIONS],
    )
    issuer = Issuer(id="issuer-1", name="Teaching Lab", url="https://lab.example.org", email="lab@example.org")
    recipient = Recipient(identity_type="emailAddress", identity_hash=identity_hash("ada@example.org", "s"), salt="s")
    return open_badge_credential(
        credential_id="credential-1",
        award=award,
        definition=definition,
        issuer=issuer,
        did=did,
        recipient=recipient,
        status_list_url=urls.status_list("list-1"),
        status_index=7,
        urls=urls,
    )


def rate(operation: Callable[[], object], seconds: float) -> float:
    operation()  # warm caches (contexts are parsed once)
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        operation()
        count += 1
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key()
    did = issuer_did("https://badges.example.org", "issuer-1")
    method = verification_method_id(did, multikey(public_key))
    unsecured = sample_credential(did)
    created = "2026-01-01T00:00:00Z"
    signed = add_data_integrity_proof(unsecured, private_key, method, created)
    claims = {"iss": did, "jti": unsecured["id"], "iat": 0, "nbf": 0}
    token = encode_vc_jwt(unsecured, private_key, method, claims)
    message = os.urandom(64)  # what eddsa-rdfc-2022 signs: two SHA-256 hashes
    signature = private_key.sign(message)
    resolve = {method: public_key}.__getitem__

    rows = [
        (
            "raw Ed25519 (64-byte message)",
            rate(lambda: private_key.sign(message), seconds),
            rate(lambda: public_key.verify(signature, message), seconds),
        ),
        (
            "VC-JWT (EdDSA)",
            rate(lambda: encode_vc_jwt(unsecured, private_key, method, claims), seconds),
            rate(lambda: decode_vc_jwt(token, resolve), seconds),
        ),
        (
            "Data Integrity eddsa-rdfc-2022",
            rate(lambda: add_data_integrity_proof(unsecured, private_key, method, created), seconds),
            rate(lambda: verify_data_integrity_proof(signed, resolve), seconds),
        ),
    ]
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"one process, one thread, {seconds:g}s per measurement"
    )
    print(f"# credential: {len(str(unsecured))} characters of JSON; VC-JWT {len(token)} characters")
    print("| proof format | sign / s | verify / s |")
    print("|---|---:|---:|")
    for name, sign_rate, verify_rate in rows:
        print(f"| {name} | {sign_rate:,.0f} | {verify_rate:,.0f} |")


if __name__ == "__main__":
    main()
