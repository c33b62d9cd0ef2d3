"""The award path as a platform, an assessor, an issuer and an admin walk it, over HTTP."""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from tests.support.polling import eventually

SECTIONS = ("overview", "practice", "reflection")


def rubric_section(section_id: str) -> dict[str, Any]:
    return {
        "id": section_id,
        "title": section_id.title(),
        "prompt": f"Show your {section_id}.",
        "evidence": "text",
        "levels": [
            {"id": "not_yet", "name": "Not yet"},
            {"id": "developing", "name": "Developing"},
            {"id": "proficient", "name": "Proficient"},
        ],
        "passing_level": "proficient",
    }


def micro_credential_definition(
    issuer_id: str, *, policy: str = "manual", max_attempts: int = 3, **fields: Any
) -> dict:
    """A definition to publish; `fields` add to it (a `turnaround_business_days`, say)."""
    return {
        "title": "Belonging and Caring Classroom Climate",
        "competency": "The educator creates a classroom climate where students feel cared for and belong.",
        "key_method": "Student check-in circles",
        "issuer_id": issuer_id,
        "max_attempts": max_attempts,
        "decision_policy": policy,
        "sections": [rubric_section(section_id) for section_id in SECTIONS],
        **fields,
    }


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@dataclass
class Earner:
    """An identity made of unique strings, so a leak anywhere can be found by search."""

    external_id: str = field(default_factory=lambda: unique("earner"))
    name: str = field(default_factory=lambda: f"Zelda {uuid.uuid4().hex[:8].upper()} Quartermaine")
    email: str = field(default_factory=lambda: f"{unique('zq')}@school.example.org")
    organization_id: str = field(default_factory=lambda: unique("district"))

    def as_json(self) -> dict[str, str]:
        return {
            "external_id": self.external_id,
            "name": self.name,
            "email": self.email,
            "organization_id": self.organization_id,
        }

    def identity_strings(self) -> list[str]:
        """Every form a leak could take: whole, each name part alone, other case, slugs,
        the e-mail percent-encoded (searched as written, so lower case is listed too)."""
        first, middle, last = self.name.split()
        parts = [first, middle, last, *(part.lower() for part in (first, middle, last))]
        slugs = [f"{a}{joiner}{b}".lower() for a, b in ((first, last), (last, first)) for joiner in ("", "-", "_", ".")]
        whole = [self.name, self.name.lower(), self.email, quote(self.email, safe="")]
        return [*whole, *parts, *slugs, self.external_id, self.organization_id]

    def signature(self) -> str:
        """How the earner signs evidence: every form of their identity the assessor must not see."""
        first, _middle, last = self.name.split()
        return (
            f" Written by {self.name} ({self.email}), {self.name.lower().replace(' ', chr(10))}; "
            f"{first} to my students, {last.upper()} on the door, {first.lower()}_{last.lower()} online, "
            f"{quote(self.email, safe='')} in links, {self.external_id} at {self.organization_id}."
        )


def evidence(note: str, earner: Earner | None = None) -> list[dict[str, Any]]:
    # The earner signs their reflection: the assessor must see it redacted.
    signature = earner.signature() if earner else ""
    return [
        {
            "section_id": section_id,
            "text": f"{note}: my {section_id} evidence from the classroom.{signature}",
            "artifacts": [
                {
                    "url": f"https://files.example.org/{section_id}.pdf",
                    "media_type": "application/pdf",
                    "sha256": "a" * 64,
                }
            ]
            if section_id == "practice"
            else [],
        }
        for section_id in SECTIONS
    ]


def review(level: str, recommendation: str) -> dict[str, Any]:
    return {
        "sections": [
            {
                "section_id": section_id,
                "level": level,
                "feedback": f"Your {section_id} shows growth; next, connect it to student voice.",
            }
            for section_id in SECTIONS
        ],
        "recommendation": recommendation,
    }


@dataclass
class AwardPath:
    admin: httpx.AsyncClient
    award_admin: httpx.AsyncClient
    platform: httpx.AsyncClient
    issuer: httpx.AsyncClient
    assessors: dict[str, httpx.AsyncClient]
    issuer_id: str
    micro_credential_id: str
    assessor_ids: dict[str, str]
    assessor_facing: list[str] = field(default_factory=list)
    platform_id: str = ""

    async def submit(self, earner: Earner, attempt: int = 1, items: list[dict[str, Any]] | None = None) -> str:
        """A new submission for the earner, accepted at `attempt` (their next at the
        micro-credential), with `items` as its evidence (else the usual)."""
        body = {
            "micro_credential_id": self.micro_credential_id,
            "earner": earner.as_json(),
            "evidence": items or evidence("attempt 1", earner),
        }
        # Accepted once the catalog event reached the submission service (asynchronous).
        response = await eventually(
            lambda: self.platform.post("/v1/submissions", json=body),
            lambda response: not response.text.count("unknown-micro-credential"),
        )
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "submitted" and response.json()["attempt"] == attempt
        return response.json()["id"]

    async def submission(self, submission_id: str) -> dict[str, Any]:
        response = await self.platform.get(f"/v1/submissions/{submission_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def wait_for_status(self, submission_id: str, status: str) -> dict[str, Any]:
        return await eventually(lambda: self.submission(submission_id), lambda body: body["status"] == status)

    async def assessor_get(self, assessor: str, path: str) -> httpx.Response:
        response = await self.assessors[assessor].get(path)
        self.assessor_facing.append(response.text)
        return response

    async def claim(self, assessor: str) -> dict[str, Any]:
        """Wait for work in the assessor's queue and lease it; returns the blind view."""

        async def claim_once() -> httpx.Response:
            response = await self.assessors[assessor].post("/v1/queue/claim")
            self.assessor_facing.append(response.text)
            return response

        claimed = await eventually(claim_once, lambda response: response.status_code == 200)
        assert claimed.json()["lease_expires_at"]
        view = await self.assessor_get(assessor, f"/v1/assignments/{claimed.json()['assignment_id']}")
        assert view.status_code == 200, view.text
        return view.json()

    async def review(self, assessor: str, assignment_id: str, level: str, recommendation: str) -> None:
        response = await self.assessors[assessor].post(
            f"/v1/assignments/{assignment_id}/review", json=review(level, recommendation)
        )
        self.assessor_facing.append(response.text)
        assert response.status_code == 201, response.text

    async def review_all(self, count: int, level: str, recommendation: str) -> None:
        """Claim and review `count` assignments, from whichever assessors hold them; each
        round claims from every assessor and reviews what it got side by side."""

        async def claim_round() -> list[tuple[str, str]]:
            claimed = []
            for name, client in self.assessors.items():
                response = await client.post("/v1/queue/claim")
                if response.status_code == 200:
                    claimed.append((name, response.json()["assignment_id"]))
            return claimed

        reviewed = 0
        while reviewed < count:
            claimed = await eventually(claim_round)
            await asyncio.gather(*(self.review(name, item, level, recommendation) for name, item in claimed))
            reviewed += len(claimed)

    async def pending_decisions(self, count: int) -> list[dict[str, Any]]:
        """Wait for `count` pending decisions of this issuer; returns them."""

        async def pending() -> list[dict[str, Any]]:
            response = await self.issuer.get("/v1/decisions", params={"state": "pending", "limit": 200})
            assert response.status_code == 200, response.text
            return response.json()["items"]

        return await eventually(pending, lambda items: len(items) == count)

    async def timeline(self, submission_id: str) -> list[dict[str, Any]]:
        response = await self.platform.get(f"/v1/submissions/{submission_id}/timeline")
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    async def pending_decision(self, submission_id: str, attempt: int) -> dict[str, Any]:
        async def pending() -> list[dict[str, Any]]:
            response = await self.issuer.get("/v1/decisions", params={"state": "pending"})
            assert response.status_code == 200, response.text
            return [
                item
                for item in response.json()["items"]
                if item["submission_id"] == submission_id and item["attempt"] == attempt
            ]

        return (await eventually(pending, lambda items: len(items) == 1))[0]

    async def decide(self, decision_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.issuer.post(f"/v1/decisions/{decision_id}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def award(self, earner: Earner, assessor: str = "assessor-a") -> dict[str, Any]:
        """Submit, review at the passing level and (auto policy) wait for the credential;
        returns the submission as the platform sees it."""
        submission_id = await self.submit(earner)
        view = await self.claim(assessor)
        await self.review(assessor, view["assignment_id"], "proficient", "award")
        return await eventually(lambda: self.submission(submission_id), lambda body: body["credential_id"])

    async def resubmit(self, submission_id: str, attempt: int) -> None:
        response = await self.platform.post(
            f"/v1/submissions/{submission_id}/attempts", json={"evidence": evidence(f"attempt {attempt}")}
        )
        assert response.status_code == 201, response.text
        assert response.json()["attempt"] == attempt


async def open_award_path(
    clients,
    *,
    policy: str = "manual",
    max_attempts: int = 3,
    assessors: tuple[str, ...] = ("assessor-a",),
    **definition: Any,
) -> AwardPath:
    """Set up an issuer, one micro-credential and qualified assessors through the APIs.

    `clients(service, role, subject)` makes an authenticated client for one service."""
    award_admin = clients("award", "admin", "ops")
    issuer_response = await award_admin.post(
        "/v1/issuers", json={"name": "Teaching Lab", "url": "https://lab.example.org", "email": "lab@example.org"}
    )
    assert issuer_response.status_code == 201, issuer_response.text
    issuer_id = issuer_response.json()["id"]
    issuer = clients("award", "issuer", issuer_id)
    published = await issuer.post(
        "/v1/micro-credentials",
        json=micro_credential_definition(issuer_id, policy=policy, max_attempts=max_attempts, **definition),
    )
    assert published.status_code == 201, published.text
    micro_credential_id = published.json()["id"]
    admin = clients("assessment", "admin", "ops")
    assessor_ids = {name: unique(name) for name in assessors}
    for assessor_id in assessor_ids.values():
        created = await admin.post(
            "/v1/assessors",
            json={
                "id": assessor_id,
                "display_name": assessor_id,
                "micro_credential_ids": [micro_credential_id],
                "capacity": 5,
                "organization_id": unique("university"),
            },
        )
        assert created.status_code == 201, created.text
    platform_id = unique("platform")
    platform = clients("submission", "platform", platform_id)
    return AwardPath(
        admin=admin,
        award_admin=award_admin,
        platform=platform,
        issuer=issuer,
        assessors={name: clients("assessment", "assessor", assessor_id) for name, assessor_id in assessor_ids.items()},
        issuer_id=issuer_id,
        micro_credential_id=micro_credential_id,
        assessor_ids=assessor_ids,
        platform_id=platform_id,
    )
