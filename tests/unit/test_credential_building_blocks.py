"""The building blocks of credentials and webhooks, without a database: RDF canonicalization
and eddsa-rdfc-2022 against the Open Badges 3.0 guide's vectors, encodings, sealing, status
lists, webhook signing, retry schedule and target checks."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from awardpath_award.credentials.proofs import ProofError, add_data_integrity_proof, verify_data_integrity_proof
from awardpath_award.credentials.standards import UnsignableTerm, canonicalize, schema_errors
from awardpath_award.credentials.status_lists import bit_at, decode_status_list, encode_status_list, with_bit_set
from awardpath_award.keys import did, encodings, sealing
from awardpath_award.models import WebhookMessage
from awardpath_award.settings import AwardSettings
from awardpath_award.webhooks.guard import TargetRefused, check_target
from awardpath_award.webhooks.retries import parse_retry_after, retry_delay
from awardpath_award.webhooks.signing import new_secret, signed_request
from awardpath_shared.privacy import identity_hash

VECTORS = Path(__file__).parents[1] / "fixtures" / "ob3"
VECTOR_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
VECTOR_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def signed_vector() -> dict:
    return json.loads((VECTORS / "obv3p0-signed-credential.json").read_text())


def vector_key(_method: str):
    return encodings.public_key_from_multikey(VECTOR_MULTIKEY)


def test_canonicalization_reproduces_the_guides_n_quads():
    document = signed_vector()
    proof = document.pop("proof")
    options = {key: value for key, value in proof.items() if key != "proofValue"}
    assert canonicalize(document) == (VECTORS / "obv3p0-document-canon.txt").read_text()
    assert (
        canonicalize({"@context": document["@context"], **options}) == (VECTORS / "obv3p0-proof-canon.txt").read_text()
    )


def test_signing_reproduces_the_guides_proof_and_the_signed_vector_verifies():
    document = signed_vector()
    proof = document.pop("proof")
    private_key = Ed25519PrivateKey.from_private_bytes(VECTOR_SEED)
    assert encodings.multikey(private_key.public_key()) == VECTOR_MULTIKEY
    signed = add_data_integrity_proof(document, private_key, proof["verificationMethod"], proof["created"])
    assert signed["proof"] == [proof]  # Ed25519 is deterministic
    assert verify_data_integrity_proof(signed_vector(), vector_key)["proofValue"] == proof["proofValue"]


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc.__setitem__("name", "Teamwork Badge!"),
        lambda doc: doc["credentialSubject"].__setitem__("id", "did:example:someone-else"),
        lambda doc: doc["proof"].__setitem__("created", "2010-01-01T19:23:25Z"),
        lambda doc: doc["issuer"].__setitem__("tyxe", doc["issuer"].pop("type")),  # would be dropped
        lambda doc: doc.__setitem__("@context", [*doc["@context"], "https://example.org/remote-context"]),
    ],
)
def test_any_change_to_the_signed_vector_fails(change):
    document = signed_vector()
    change(document)
    with pytest.raises(ProofError):
        verify_data_integrity_proof(document, vector_key)


def test_canonicalization_refuses_what_a_signature_would_not_cover():
    document = signed_vector()
    document.pop("proof")
    document["issuer"]["undefinedTerm"] = "changes freely"
    with pytest.raises(UnsignableTerm):
        canonicalize(document)


def test_the_shipped_schema_resolves_locally_and_reports_errors():
    document = signed_vector()
    assert any(error.startswith("proof:") for error in schema_errors(document))  # OB 3.0 wants an array
    document["proof"] = [document["proof"]]
    assert schema_errors(document) == []
    del document["validFrom"]
    assert any("validFrom" in error for error in schema_errors(document))


def test_encodings_round_trip():
    for data in (b"", b"\0\0abc", bytes(range(256))):
        assert encodings.base58btc_decode(encodings.base58btc_encode(data)) == data
    with pytest.raises(ValueError):
        encodings.public_key_from_multikey("z" + encodings.base58btc_encode(b"\x12\x00" + bytes(32)))
    assert did.issuer_did("https://badges.example.org:8443/awardpath", "abc") == (
        "did:web:badges.example.org%3A8443:awardpath:v1:issuers:abc"
    )


def test_sealed_values_open_only_with_the_master_key_and_on_their_own_row():
    private_key = Ed25519PrivateKey.generate()
    sealed = sealing.seal_private_key(private_key, "master", "key-1")
    assert sealing.unseal_private_key(sealed, ("master",), "key-1").public_key() == private_key.public_key()
    assert private_key.private_bytes_raw().hex() not in sealed
    with pytest.raises(InvalidTag):
        sealing.unseal(sealed, ("another master",), "key-1")
    with pytest.raises(InvalidTag):
        sealing.unseal(sealed, ("master",), "key-2")


def test_a_value_sealed_under_a_previous_master_key_opens_and_is_resealed_under_the_current_one():
    sealed = sealing.seal(b"whsec_value", "old master", "endpoint-1")
    rotated = ("new master", "old master")
    assert sealing.unseal(sealed, rotated, "endpoint-1") == b"whsec_value"
    resealed = sealing.reseal(sealed, rotated, "endpoint-1")
    assert resealed is not None and sealing.unseal(resealed, ("new master",), "endpoint-1") == b"whsec_value"
    assert sealing.reseal(resealed, rotated, "endpoint-1") is None  # under the current key already
    with pytest.raises(InvalidTag):
        sealing.unseal(sealed, ("new master",), "endpoint-1")  # the old key removed too early


def test_status_list_bits():
    bits = bytes(16384)
    assert len(decode_status_list(encode_status_list(bits))) == 16384
    changed = with_bit_set(bits, 9)
    assert changed[1] == 0b0100_0000 and bit_at(changed, 9) and not bit_at(changed, 8)
    assert decode_status_list(encode_status_list(changed)) == changed
    with pytest.raises(IndexError):
        bit_at(bits, 16384 * 8)


def test_identity_hash_is_the_open_badges_salted_sha256():
    import hashlib

    assert (
        identity_hash("Ada@School.example.org ", "s4lt")
        == "sha256$" + hashlib.sha256(b"ada@school.example.orgs4lt").hexdigest()
    )


def test_webhook_requests_verify_with_each_active_secret():
    secrets = [new_secret(), new_secret()]
    message = WebhookMessage(
        id="msg_1",
        submission_id="s",
        event_type="submission.denied",
        data={"submission_id": "s", "attempt": 2},
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    body, headers = signed_request(message, secrets, datetime.now(UTC))
    assert json.loads(body) == {
        "type": "submission.denied",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {"submission_id": "s", "attempt": 2},
    }
    for secret in secrets:
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)


def test_retry_delays_grow_with_jitter_up_to_the_cap_and_honour_retry_after():
    settings = AwardSettings(webhook_retry_base_seconds=10, webhook_retry_max_delay_seconds=3600)
    for attempts, backoff in [(1, 10), (2, 20), (5, 160), (20, 3600)]:
        delay = retry_delay(attempts, None, settings)
        assert backoff / 2 <= delay <= backoff
    assert retry_delay(1, 120, settings) == 120
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://203.0.113.7/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "https://user:pw@203.0.113.8/hook",
        "ftp://203.0.113.7/hook",
    ],
)
async def test_webhook_targets_must_be_https_and_public(url):
    with pytest.raises(TargetRefused):
        await check_target(url, AwardSettings())


async def test_public_https_targets_pass_and_configuration_can_allow_local_ones():
    await check_target("https://8.8.8.8/hook", AwardSettings())
    local = AwardSettings(webhook_allow_http=True, webhook_allow_private_targets=True)
    await check_target("http://127.0.0.1:9999/hook", local)


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::7f00:1]/hook",  # NAT64 of 127.0.0.1
        "https://[64:ff9b::a01:203]/hook",  # NAT64 of 10.1.2.3
        "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
        "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
        "https://[2002:c0a8:a::]/hook",  # 6to4 of 192.168.0.10
        "https://[::127.0.0.1]/hook",  # IPv4-compatible 127.0.0.1
        "https://[::10.1.2.3]/hook",  # IPv4-compatible 10.1.2.3
        "https://[64:ff9b:1::a01:203]/hook",  # local-use NAT64 (RFC 8215)
    ],
)
async def test_ipv4_addresses_embedded_in_ipv6_are_judged_as_ipv4(url):
    with pytest.raises(TargetRefused):
        await check_target(url, AwardSettings())


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::808:808]/hook",  # NAT64 of 8.8.8.8
        "https://[2002:808:808::1]/hook",  # 6to4 of 8.8.8.8
        "https://[2001:4860:4860::8888]/hook",  # plain public IPv6
    ],
)
async def test_public_ipv4_addresses_embedded_in_ipv6_pass(url):
    await check_target(url, AwardSettings())


async def test_the_allow_list_admits_named_private_networks_with_the_guard_on():
    allowing = AwardSettings(webhook_allow_http=True, webhook_allowed_targets="127.0.0.1/32, ::1/128")
    for url in ("http://127.0.0.1:9999/hook", "http://[::1]:9999/hook", "http://[::ffff:127.0.0.1]:9999/hook"):
        await check_target(url, allowing)
    for url in ("http://127.0.0.2:9999/hook", "http://10.1.2.3/hook", "http://[64:ff9b::a01:203]/hook"):
        with pytest.raises(TargetRefused):
            await check_target(url, allowing)
