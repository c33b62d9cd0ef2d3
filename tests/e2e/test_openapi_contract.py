"""Schemathesis over the three services' OpenAPI documents, against a running all-in-one
Awardpath on PostgreSQL: requests generated from each document, fitting it and not, never get
a 5xx or a status code the document does not list for the operation."""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.support.award_path import open_award_path
from tests.support.databases import create_database, drop_database
from tests.support.system import RunningSystem

# Each operation gets this many generated requests of each kind (fitting, not fitting).
EXAMPLES_PER_OPERATION = 15

# Who calls an operation (first matching path prefix of its service). Generated ids name
# nothing mostly, but a caller of the right role gets past authorization to the rules.
CALLERS = {
    "submission": [("/", "platform")],
    "assessment": [
        ("/v1/calibration-sets", "admin"),
        ("/v1/calibration", "assessor"),
        ("/v1/queue", "assessor"),
        ("/v1/assignments", "assessor"),
        ("/", "admin"),
    ],
    "award": [
        ("/v1/issuers/{issuer_id}/keys", "issuer"),
        ("/v1/issuers", "admin"),
        ("/v1/webhook-endpoints", "platform"),
        ("/", "issuer"),
    ],
}


@pytest.fixture(scope="module")
async def contract_system(tmp_path_factory):
    directory = tmp_path_factory.mktemp("openapi-contract")
    url = await create_database("postgres", directory)
    running = RunningSystem(url, directory / "awardpath.log")
    running.start()
    opened = []

    def clients(service: str, role: str, subject: str = "someone"):
        opened.append(running.client(service, role, subject))
        return opened[-1]

    path = await open_award_path(clients, policy="manual")
    yield running, path
    for client in opened:
        await client.aclose()
    running.stop()
    await drop_database(url)


def _caller(system: RunningSystem, path, service: str, operation_path: str) -> dict[str, str]:
    role = next(role for prefix, role in CALLERS[service] if operation_path.startswith(prefix))
    subject = {
        "issuer": path.issuer_id,
        "assessor": path.assessor_ids["assessor-a"],
        "platform": path.platform_id,
    }.get(role, "ops")
    return {"Authorization": f"Bearer {system.token(role, subject)}"}


def _exercise(operation, base_url: str, headers: dict[str, str]):
    """The property of one operation: generated requests, fitting it and not, all conform."""
    cases = st.one_of(operation.as_strategy(mode) for mode in GenerationMode)

    @given(case=cases)
    @settings(
        max_examples=2 * EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def exercise(case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, status_code_conformance],
            timeout=10,
        )

    return exercise


def test_no_operation_answers_a_5xx_or_an_undocumented_status(contract_system):
    system, path = contract_system
    failures: list[str] = []
    exercised = 0
    for service, base_url in system.urls.items():
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=10)
        for result in schema.get_all_operations():
            operation = result.ok()
            headers = _caller(system, path, service, operation.path)
            exercise = _exercise(operation, base_url, headers)
            try:
                exercise()
            except Exception as failure:  # every operation is tried; all findings are reported
                failures.append(f"{service} {operation.method.upper()} {operation.path}: {failure}")
            exercised += 1
    assert exercised >= 50
    assert not failures, "\n\n".join(failures)
