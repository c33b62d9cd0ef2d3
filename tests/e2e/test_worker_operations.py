"""What an operator sees of the workers, as separate processes over Kafka on PostgreSQL:
health endpoints, and metrics that move with the path: handler durations and relay passes as
submissions flow, the dead-letter count when a poison message arrives, the consumer lag while
a service's workers are stopped."""

import httpx
import pytest

from awardpath_shared.events import SubmissionSubmitted
from tests.support.award_path import Earner, open_award_path
from tests.support.broker import kafka_env, produce_poison
from tests.support.databases import create_database, drop_database
from tests.support.metrics import scrape, total
from tests.support.polling import eventually
from tests.support.system import ProcessSystem

WORKERS = ("submission-worker-1", "assessment-worker-1", "award-worker-1")


@pytest.fixture(scope="module")
async def system(tmp_path_factory, kafka_bootstrap_servers):
    directory = tmp_path_factory.mktemp("worker-operations")
    url = await create_database("postgres", directory)
    running = ProcessSystem(url, directory, kafka_env(kafka_bootstrap_servers))
    running.start()
    yield running
    running.stop()
    await drop_database(url)


async def test_every_worker_is_live_and_ready(system):
    async with httpx.AsyncClient(timeout=10) as client:
        for worker in WORKERS:
            for probe in ("live", "ready"):
                response = await client.get(f"{system.worker_url(worker)}/health/{probe}")
                assert response.status_code == 200, (worker, probe, response.text)


async def test_handler_and_relay_metrics_move_as_a_submission_travels(system, clients):
    path = await open_award_path(clients, policy="auto")
    before = await scrape(system.worker_url("assessment-worker-1"))
    await path.submit(Earner())
    await path.claim("assessor-a")  # assigned: the assessment worker handled the attempt

    after = await scrape(system.worker_url("assessment-worker-1"))
    handled = {"service": "assessment", "event_type": SubmissionSubmitted.event_type(), "outcome": "ok"}
    assert total(after, "awardpath_handler_duration_seconds_count", **handled) == (
        total(before, "awardpath_handler_duration_seconds_count", **handled) + 1
    )
    # Its relay published the assignment's event: just after the commit the claim saw, so
    # the metric is read until it moved.
    published = total(before, "awardpath_relay_published_total", service="assessment")
    relayed = await eventually(
        lambda: scrape(system.worker_url("assessment-worker-1")),
        lambda now: total(now, "awardpath_relay_published_total", service="assessment") > published,
    )
    assert total(relayed, "awardpath_outbox_unsent_rows", service="assessment") == 0


async def test_a_poison_message_raises_the_dead_letter_count(system):
    worker = system.worker_url("assessment-worker-1")
    dead = {"service": "assessment", "event_type": SubmissionSubmitted.event_type()}
    before = total(await scrape(worker), "awardpath_dead_letters_total", **dead)
    await produce_poison(system.env["KAFKA_BOOTSTRAP_SERVERS"], system.env["AWARDPATH_KAFKA_NAMESPACE"])

    async def dead_letters() -> float:
        return total(await scrape(worker), "awardpath_dead_letters_total", **dead)

    assert await eventually(dead_letters, lambda count: count == before + 1, timeout=60) == before + 1


async def test_a_stopped_consumer_grows_the_lag_until_it_runs_again(system, clients):
    path = await open_award_path(clients, policy="auto")
    api = system.urls["assessment"]

    async def lag() -> float:
        return total(await scrape(api), "awardpath_consumer_lag_messages", service="assessment")

    await eventually(lag, lambda messages: messages == 0, timeout=60)
    system.kill("assessment-worker-1")
    for _ in range(3):
        await path.submit(Earner())
    assert await eventually(lag, lambda messages: messages >= 3, timeout=60) >= 3

    system.start_process("assessment-worker-1")
    await eventually(lag, lambda messages: messages == 0, timeout=90)
    async with httpx.AsyncClient(timeout=10) as client:
        ready = await eventually(
            lambda: client.get(f"{system.worker_url('assessment-worker-1')}/health/ready"),
            lambda response: response.status_code == 200,
            timeout=60,
        )
    assert ready.status_code == 200
