"""The services as separate processes over Kafka on PostgreSQL, under faults: workers killed
and restarted mid-stream, every topic replayed from offset 0, two assessment worker
replicas, a poison message."""

import asyncio
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from awardpath.services import SERVICES
from awardpath_assessment.models import Base as AssessmentBase
from awardpath_award.models import Award, Credential, Decision
from awardpath_award.models import Base as AwardBase
from awardpath_shared.db import create_engine
from awardpath_shared.messaging.delivery import RetryPolicy
from awardpath_shared.messaging.inprocess import InProcessTransport
from awardpath_shared.messaging.kafka_dead_letters import read_topics
from awardpath_shared.messaging.kafka_topics import EVENT_TOPICS, KafkaNames, from_record
from awardpath_submission.models import Base as SubmissionBase
from tests.support.award_path import Earner, open_award_path, review
from tests.support.broker import kafka_env, produce_poison
from tests.support.databases import create_database, drop_database
from tests.support.polling import eventually, steady
from tests.support.system import ProcessSystem

METADATA = {"submission": SubmissionBase.metadata, "assessment": AssessmentBase.metadata, "award": AwardBase.metadata}
WORKERS = ("submission-worker-1", "assessment-worker-1", "assessment-worker-2", "award-worker-1")


@pytest.fixture(scope="module")
async def system(tmp_path_factory, kafka_bootstrap_servers):
    directory = tmp_path_factory.mktemp("kafka-faults")
    url = await create_database("postgres", directory)
    running = ProcessSystem(url, directory, kafka_env(kafka_bootstrap_servers))
    running.start(worker_replicas={"assessment": 2})
    yield running
    running.stop()
    await drop_database(url)


def names(system: ProcessSystem) -> KafkaNames:
    return KafkaNames(system.env["AWARDPATH_KAFKA_NAMESPACE"])


async def review_everything_queued(path, count: int, on_review=lambda reviewed: None) -> None:
    """Claim and review (recommending award) until `count` reviews were made."""
    reviewed = 0

    async def review_what_is_claimable() -> int:
        nonlocal reviewed
        for assessor in path.assessors.values():
            claimed = await assessor.post("/v1/queue/claim")
            if claimed.status_code != 200:
                continue
            response = await assessor.post(
                f"/v1/assignments/{claimed.json()['assignment_id']}/review", json=review("proficient", "award")
            )
            assert response.status_code == 201, response.text
            reviewed += 1
            on_review(reviewed)
        return reviewed

    await eventually(review_what_is_claimable, lambda done: done >= count, timeout=120, interval=0.2)


async def test_two_assessment_worker_replicas_share_the_submissions(system, clients):
    def holds_submission_partitions(key: str) -> bool:
        assigned = re.findall(r"assigned (\[.*\])", system.process_log(key))
        return bool(assigned) and "awardpath.submission'" in assigned[-1]

    await eventually(
        lambda: [holds_submission_partitions(f"assessment-worker-{n}") for n in (1, 2)],
        all,
        timeout=60,
    )
    path = await open_award_path(clients, policy="auto", assessors=("assessor-a", "assessor-b", "assessor-c"))
    for _ in range(12):
        await path.submit(Earner())

    def handled_submissions(key: str) -> int:
        return system.process_log(key).count("handled submission.submitted.v1")

    counts = await eventually(
        lambda: [handled_submissions(f"assessment-worker-{n}") for n in (1, 2)],
        lambda counts: sum(counts) >= 12,
        timeout=60,
    )
    print(f"assessment worker replicas handled {counts} of 12 submissions")
    assert all(count > 0 for count in counts)
    await review_everything_queued(path, 12)


async def test_killing_every_worker_mid_stream_loses_and_duplicates_nothing(system, clients):
    path = await open_award_path(clients, policy="auto", assessors=("assessor-a", "assessor-b", "assessor-c"))
    total = 12
    kills_while_submitting = {2: "assessment-worker-1", 5: "submission-worker-1", 8: "award-worker-1"}
    kills_while_reviewing = {3: "assessment-worker-2", 6: "award-worker-1", 9: "submission-worker-1"}
    killed = []

    def kill(key: str) -> None:
        system.restart(key)  # SIGKILL, then start a new process in its place
        killed.append(key)

    submission_ids = []
    for n in range(total):
        submission_ids.append(await path.submit(Earner()))
        if n in kills_while_submitting:
            kill(kills_while_submitting[n])

    def kill_while_reviewing(reviewed: int) -> None:
        if reviewed in kills_while_reviewing:
            kill(kills_while_reviewing[reviewed])

    await review_everything_queued(path, total, kill_while_reviewing)

    def settled(body) -> bool:
        # The decision travels on another topic than the review and may overtake it.
        return body["status"] == "awarded" and bool(body["attempts"][0]["reviews"]) and bool(body["credential_id"])

    # A killed worker's partitions wait for its session to time out: allow for a slow machine.
    finals = [
        await eventually(lambda submission_id=submission_id: path.submission(submission_id), settled, timeout=90)
        for submission_id in submission_ids
    ]
    reviews = [len(final["attempts"][0]["reviews"]) for final in finals]
    decisions = await count_by_submission(system, Decision, submission_ids)
    awards = await count_by_submission(system, Award, submission_ids)
    credentials = await count_by_submission(system, Credential, submission_ids)
    print(
        f"fault test: killed {killed}; {len(finals)} of {total} submissions awarded, "
        f"{sum(reviews)} reviews, {sum(decisions.values())} decisions, {sum(awards.values())} awards, "
        f"{sum(credentials.values())} credentials"
    )
    assert set(WORKERS) <= set(killed)
    assert reviews == [1] * total
    assert decisions == dict.fromkeys(submission_ids, 1)
    assert awards == dict.fromkeys(submission_ids, 1)
    assert credentials == dict.fromkeys(submission_ids, 1)
    assert all(final["award_id"] for final in finals)


async def test_replaying_every_topic_from_offset_zero_changes_nothing(system, clients):
    """Every message ever published is handed again, from offset 0, to every service's
    consumer (its real handlers on its real database)."""
    path = await open_award_path(clients, policy="auto")
    submission_id = await path.submit(Earner())
    await path.review("assessor-a", (await path.claim("assessor-a"))["assignment_id"], "proficient", "award")
    await eventually(lambda: path.submission(submission_id), lambda body: bool(body["credential_id"]), timeout=60)
    before = await settled_row_counts(system)
    settings = {
        service: SERVICES[service]
        .settings()
        .model_copy(
            update={
                "database_url": system.env["AWARDPATH_DATABASE_URL"],
                "kafka_bootstrap_servers": system.env["KAFKA_BOOTSTRAP_SERVERS"],
            }
        )
        for service in METADATA
    }
    records = await read_topics(settings["award"], [names(system).topic(topic) for topic in EVENT_TOPICS])
    outcomes = {"handled": 0, "dropped": 0}
    for service in METADATA:
        runtime = SERVICES[service].build_runtime(
            settings[service], InProcessTransport(RetryPolicy.of(settings[service]))
        )
        try:
            for record in records:
                cloudevent = from_record(record)
                if runtime.consumer.wants(cloudevent.get_type()):
                    outcomes["handled" if await runtime.consumer.handle(cloudevent) else "dropped"] += 1
        finally:
            await runtime.close()
    after = await row_counts(system)
    print(
        f"replay: {len(records)} messages from offset 0, {outcomes}; "
        f"{sum(before.values())} rows in {len(before)} tables before and after"
    )
    assert outcomes == {"handled": 0, "dropped": outcomes["dropped"]} and outcomes["dropped"] > len(records)
    assert after == before


async def test_a_poison_message_is_dead_lettered_and_the_next_submission_is_processed(system, clients):
    poison_id = await produce_poison(system.env["KAFKA_BOOTSTRAP_SERVERS"], system.env["AWARDPATH_KAFKA_NAMESPACE"])

    path = await open_award_path(clients, policy="auto")
    await path.submit(Earner())
    assert (await path.claim("assessor-a"))["attempt"] == 1  # the next message went through

    def dead_letters(command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "awardpath", "dead-letters", command, "assessment"],
            env=system.env,
            capture_output=True,
            text=True,
        )

    listed = await eventually(
        lambda: asyncio.to_thread(dead_letters, "list"), lambda result: poison_id in result.stdout, timeout=60
    )
    [line] = [line for line in listed.stdout.splitlines() if poison_id in line]
    assert "\tpending\t" in line and "Field required" in line and "\tawardpath.submission\t" in line
    replayed = dead_letters("replay")  # still invalid: reported, kept, exit status 1
    assert replayed.returncode == 1 and "failed" in replayed.stdout


async def count_by_submission(system: ProcessSystem, model, submission_ids: list[str]) -> dict[str, int]:
    engine = create_engine(system.env["AWARDPATH_DATABASE_URL"], "award")
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(model.submission_id, func.count())
                .where(model.submission_id.in_(submission_ids))
                .group_by(model.submission_id)
            )
            return dict(rows.all())
    finally:
        await engine.dispose()


async def settled_row_counts(system: ProcessSystem) -> dict[str, int]:
    """Row counts once nothing moves: no unsent outbox row and the same counts a second apart."""

    async def counts_and_unsent() -> tuple[dict[str, int], int]:
        return await row_counts(system), await unsent_outbox_rows(system)

    counts, _ = await steady(counts_and_unsent, lambda pair: pair[1] == 0)
    return counts


async def unsent_outbox_rows(system: ProcessSystem) -> int:
    unsent = 0
    for service, metadata in METADATA.items():
        outbox = metadata.tables[f"{service}.outbox"]
        engine = create_engine(system.env["AWARDPATH_DATABASE_URL"], service)
        try:
            async with engine.connect() as connection:
                unsent += await connection.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
                )
        finally:
            await engine.dispose()
    return unsent


async def row_counts(system: ProcessSystem) -> dict[str, int]:
    """Rows in every table of every service (outbox and processed events included)."""
    counts = {}
    for service, metadata in METADATA.items():
        engine = create_engine(system.env["AWARDPATH_DATABASE_URL"], service)
        try:
            async with engine.connect() as connection:
                for table in metadata.sorted_tables:
                    counts[table.fullname] = await connection.scalar(select(func.count()).select_from(table))
        finally:
            await engine.dispose()
    return counts
