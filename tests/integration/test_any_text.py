"""Property: any text a client sends, through any text field of any write endpoint, is either
stored and read back intact or refused with a 4xx problem; never a 5xx, never a row that
breaks a later read. Text is arbitrary Unicode, lone surrogates and NUL included, sent as
JSON escaped to ASCII (the only way a lone surrogate travels)."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.award_path import SECTIONS, Earner, evidence, micro_credential_definition, open_award_path, review
from tests.support.in_process import running_clients

SECRET = "test-secret-for-any-text"

ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(exclude_categories=()), max_size=40),  # lone surrogates too
    st.sampled_from(
        ["\x00", "a\x00b", "\udc80", "\ud800x", "\ufeff", "\u202e", "\U0001d518\U0001d52b", "e\u0301", " "]
    ),
)


@dataclass(frozen=True)
class Write:
    """A write endpoint with a valid body; any of its text leaves may be replaced."""

    service: str
    role: str
    method: str
    url: str
    body: dict[str, Any]


def text_leaves(value: Any, at: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, str):
        yield at
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from text_leaves(child, (*at, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from text_leaves(child, (*at, index))


def replaced(body: Any, at: tuple, text: str) -> Any:
    if not at:
        return text
    copy = json.loads(json.dumps(body))
    target = copy
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = text
    return copy


@pytest.fixture
async def world(database_url):
    # TEST-NET-3 is never routed: endpoints there are only registered, never called.
    testnet = {"award": {"webhook_allowed_targets": (ip_network("203.0.113.0/24"),)}}
    async with running_clients(database_url, SECRET, per_service=testnet, max_request_bytes=200_000) as clients:
        path = await open_award_path(clients, policy="manual")
        submission_id = await path.submit(Earner())
        view = await path.claim("assessor-a")
        yield clients, path, _writes(path, submission_id, view["assignment_id"])


def _writes(path, submission_id: str, assignment_id: str) -> list[Write]:
    earner = Earner()
    assessor_id = path.assessor_ids["assessor-a"]
    return [
        Write(
            "submission",
            "platform",
            "POST",
            "/v1/submissions",
            {"micro_credential_id": path.micro_credential_id, "earner": earner.as_json(), "evidence": evidence("x")},
        ),
        Write(
            "assessment",
            "admin",
            "POST",
            "/v1/assessors",
            {
                "id": "a-new-one",
                "display_name": "New",
                "micro_credential_ids": [],
                "conflict_ids": ["org"],
                "capacity": 2,
            },
        ),
        Write("assessment", "admin", "PATCH", f"/v1/assessors/{assessor_id}", {"micro_credential_ids": ["x"]}),
        Write(
            "assessment", "assessor", "POST", f"/v1/assignments/{assignment_id}/review", review("proficient", "award")
        ),
        Write(
            "assessment",
            "admin",
            "POST",
            "/v1/calibration-sets",
            {
                "micro_credential_id": path.micro_credential_id,
                "micro_credential_version": 1,
                "examples": [
                    {
                        "evidence": [{"section_id": s, "text": "An answer."} for s in SECTIONS],
                        "agreed_levels": [{"section_id": s, "level": "proficient"} for s in SECTIONS],
                    }
                ],
            },
        ),
        Write(
            "award", "admin", "POST", "/v1/issuers", {"name": "N", "url": "https://n.example.org", "email": "n@x.org"}
        ),
        Write("award", "issuer", "POST", "/v1/micro-credentials", micro_credential_definition(path.issuer_id)),
        Write(
            "award",
            "platform",
            "POST",
            "/v1/webhook-endpoints",
            {"url": "https://203.0.113.9/h", "events": ["submission.awarded"]},
        ),
    ]


READS = [
    ("submission", "platform", "/v1/submissions"),
    ("assessment", "admin", "/v1/unassigned"),
    ("assessment", "admin", "/v1/overdue"),
    ("assessment", "admin", "/v1/releases"),
    ("assessment", "assessor", "/v1/queue"),
    ("assessment", "assessor", "/v1/calibration"),
    ("award", None, "/v1/micro-credentials"),
    ("award", "issuer", "/v1/decisions"),
    ("award", "platform", "/v1/webhook-endpoints"),
]


def _caller(clients, path, service: str, role: str | None) -> httpx.AsyncClient:
    subject = {"issuer": path.issuer_id, "assessor": path.assessor_ids["assessor-a"], "platform": path.platform_id}
    return clients(service, role, subject.get(role or "", "ops"))


@settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_text_in_any_field_is_stored_intact_or_refused_never_a_5xx(world, data):
    clients, path, writes = world
    write = data.draw(st.sampled_from(writes), label="endpoint")
    at = data.draw(st.sampled_from(list(text_leaves(write.body))), label="field")
    text = data.draw(ANY_TEXT, label="text")
    body = replaced(write.body, at, text)

    response = await _caller(clients, path, write.service, write.role).request(
        write.method, write.url, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    unstorable = "\x00" in text or any(0xD800 <= ord(char) <= 0xDFFF for char in text)
    if unstorable:
        assert response.status_code == 422, (at, response.text)
    for service, role, url in READS:
        read = await _caller(clients, path, service, role).get(url)
        assert read.status_code == 200, (url, read.text)


async def test_every_write_accepts_its_body_as_given(world):
    """The property above reaches storage: each write's own body is accepted."""
    clients, path, writes = world
    for write in writes:
        response = await _caller(clients, path, write.service, write.role).request(
            write.method, write.url, json=write.body
        )
        assert response.status_code in (200, 201), (write.url, response.text)
