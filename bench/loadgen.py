"""Load generator: submissions accepted per second at the intake API and the delay from
accepted (201) to the assignment visible in the assessor's queue, for the all-in-one and the
Kafka modes, next to two ceilings measured in the same run on the same machine (a bare
FastAPI endpoint; a raw aiokafka round trip).

    .venv/bin/python -m bench.loadgen                                  # every mode; starts its own Tansu
    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092 .venv/bin/python -m bench.loadgen   # a broker already running

Run from the repository root. Everything it starts (`awardpath serve all`, the separate
processes of the Kafka mode, the bare endpoint, Tansu, fresh databases) listens on or lives at
127.0.0.1 and is stopped or dropped at the end. The run is bounded: `--count` per row and
`--time-limit` seconds of waiting per load. Prints a markdown table (see bench/README.md).
"""

import argparse
import asyncio
import contextlib
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from awardpath.demo import DEMO_MICRO_CREDENTIAL
from bench.observe import AssignmentWatcher, CpuMeter, CpuReading
from tests.support.broker import BOOTSTRAP_ENV, TansuBroker, new_namespace
from tests.support.databases import create_database, drop_database
from tests.support.system import ProcessSystem, RunningSystem, free_port

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Each slot's assessor gets one submission per load.
ASSESSOR_CAPACITY = 10
# How often the watcher reads the assignments table: paced loads (the delay is measured to
# about this), saturating loads (the delay is the backlog, seconds long).
FINE_POLL_SECONDS = 0.005
COARSE_POLL_SECONDS = 0.1
# After the last assignment, CPU is counted until the system uses less than this share of a
# core over a sample (the rest of each submission's path has run), for at most the wait.
IDLE_SHARE = 0.1
IDLE_SAMPLE_SECONDS = 0.3
IDLE_WAIT_SECONDS = 20
TEST_TIMERS = ("AWARDPATH_RELAY_POLL_INTERVAL_SECONDS", "AWARDPATH_AWARD_WEBHOOK_POLL_INTERVAL_SECONDS")
MODES = ("sqlite", "postgres", "kafka", "kafka-2", "bare", "kafka-raw")


@dataclass(frozen=True)
class Broker:
    bootstrap_servers: str
    pid: int | None  # None: a broker this run did not start (its CPU is not counted)


@dataclass
class Row:
    run: str
    throughput: str
    latencies_ms: list[float]
    latency_is: str
    cpu_ms: CpuReading | None = None

    def markdown(self) -> str:
        if self.latencies_ms:
            p50, p95, p99 = percentiles(self.latencies_ms)
            cells = f"{p50:.1f} | {p95:.1f} | {p99:.1f}"
        else:
            cells = "- | - | -"
        cpu = "-"
        if self.cpu_ms is not None:
            parts = f"{self.cpu_ms.services:.1f} + {self.cpu_ms.database:.1f}"
            if self.cpu_ms.broker:
                parts += f" + {self.cpu_ms.broker:.1f}"
            cpu = f"**{self.cpu_ms.total:.1f}** ({parts})"
        return f"| {self.run} | {self.throughput} | {cpu} | {cells} | {self.latency_is} |"


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def submission_body(micro_credential_id: str, seq: int | str) -> dict[str, Any]:
    # About the size of a real submission: three sections of a few hundred characters.
    filler = "Students met in a check-in circle each morning; I followed up on what they shared. " * 4
    return {
        "micro_credential_id": micro_credential_id,
        "earner": {
            "external_id": f"bench-earner-{seq}",
            "name": "Bench Earner",
            "email": "bench.earner@example.org",
            "organization_id": "bench-district",
        },
        "evidence": [
            {"section_id": section["id"], "text": f"bench-{seq}: {filler}"}
            for section in DEMO_MICRO_CREDENTIAL["sections"]
        ],
    }


@dataclass(frozen=True)
class Load:
    """How calls are issued: `concurrency` clients back to back, or open loop at `rate` per second."""

    concurrency: int
    rate: float | None = None

    def describe(self) -> str:
        return f"paced at {self.rate:g}/s" if self.rate else f"{self.concurrency} clients, back to back"

    async def drive(self, count: int, call: Callable[[int], Awaitable[None]]) -> float:
        """Run `call(0..count-1)`; returns the wall time."""
        started = time.perf_counter()
        if self.rate:
            calls = []
            for seq in range(count):
                await asyncio.sleep(max(0.0, started + seq / self.rate - time.perf_counter()))
                calls.append(asyncio.create_task(call(seq)))
            await asyncio.gather(*calls)
        else:
            sequence = iter(range(count))

            async def client() -> None:
                for seq in sequence:
                    await call(seq)

            await asyncio.gather(*(client() for _ in range(self.concurrency)))
        return time.perf_counter() - started


def http_client(base_url: str, token: str | None, concurrency: int) -> httpx.AsyncClient:
    assert urlsplit(base_url).hostname in LOOPBACK, base_url
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=30,
        limits=httpx.Limits(max_connections=concurrency + 4, max_keepalive_connections=concurrency + 4),
    )


# ---- the system under load ------------------------------------------------------------------


async def post_json(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return (await client.post(path, json=body)).raise_for_status().json()


async def eventually_ok(call: Callable[[], Awaitable[httpx.Response]], timeout: float) -> httpx.Response:
    deadline = time.perf_counter() + timeout
    while True:
        response = await call()
        if response.is_success or time.perf_counter() > deadline:
            return response.raise_for_status()
        await asyncio.sleep(0.05)


async def set_up_slots(system: RunningSystem | ProcessSystem, slots: int, setup: Load) -> list[str]:
    """An issuer, then per slot a micro-credential and the one assessor qualified for it."""
    admin_token = system.token("admin", "bench-admin")
    async with http_client(system.urls["award"], admin_token, 2) as admin:
        issuer = await post_json(
            admin,
            "/v1/issuers",
            {
                "name": "Bench Issuer",
                "url": "https://issuer.example.org",
                "email": "bench@example.org",
            },
        )
    micro_credential_ids = [""] * slots
    async with (
        http_client(system.urls["award"], system.token("issuer", issuer["id"]), setup.concurrency) as issuer_client,
        http_client(system.urls["assessment"], admin_token, setup.concurrency) as pool_admin,
    ):

        async def add_slot(slot: int) -> None:
            created = await post_json(
                issuer_client,
                "/v1/micro-credentials",
                {
                    **DEMO_MICRO_CREDENTIAL,
                    "title": f"Bench credential {slot}",
                    "issuer_id": issuer["id"],
                },
            )
            micro_credential_ids[slot] = created["id"]
            await post_json(
                pool_admin,
                "/v1/assessors",
                {
                    "id": f"bench-assessor-{slot}",
                    "display_name": f"Bench assessor {slot}",
                    "micro_credential_ids": [created["id"]],
                    "capacity": ASSESSOR_CAPACITY,
                    "organization_id": "bench-assessor-university",
                },
            )

        await setup.drive(slots, add_slot)
    return micro_credential_ids


@dataclass
class Measured:
    load: Load
    accepted_per_second: float
    assigned_per_second: float
    delays_ms: list[float]
    cpu_per_submission_ms: CpuReading


async def measure_system(
    system: RunningSystem | ProcessSystem, count: int, loads: list[Load], time_limit: float, broker_pid: int | None
) -> list[Measured]:
    """Submit `count` submissions under each load and watch their assignments appear."""
    concurrency = max(load.concurrency for load in loads)
    micro_credential_ids = await set_up_slots(system, count, Load(concurrency))
    platform = http_client(system.urls["submission"], system.token("platform", "bench-platform"), concurrency)
    watcher = AssignmentWatcher(system.env["AWARDPATH_DATABASE_URL"])
    await watcher.open()
    cpu = CpuMeter(system.pids, broker_pid, left_out=lambda: watcher.backend_pid)

    async def run(number: int, load: Load, warm_up: bool = False) -> Measured:
        first = number * count
        accepted_at: dict[int, float] = {}

        async def submit(slot: int) -> None:
            watcher.expect(slot, first + slot)
            body = submission_body(micro_credential_ids[slot], first + slot)
            if warm_up:  # until the slot's catalog entry reached the submission service
                await eventually_ok(lambda: platform.post("/v1/submissions", json=body), timeout=time_limit)
            else:
                response = await platform.post("/v1/submissions", json=body)
                assert response.status_code == 201, response.text
            accepted_at[first + slot] = time.perf_counter()

        def all_visible() -> bool:
            return len(accepted_at) == count and all(n in watcher.visible_at for n in accepted_at)

        # Paced, every assignment's delay is the point: look often. Saturated, the delay is the
        # backlog: look a few times a second.
        poll_seconds = FINE_POLL_SECONDS if load.rate else COARSE_POLL_SECONDS
        cpu_before = cpu.read()
        watching = asyncio.create_task(watcher.watch(all_visible, time.perf_counter() + time_limit, poll_seconds))
        started = time.perf_counter()
        elapsed = await load.drive(count, submit)
        await watching
        # The rest of each submission's path (status events, webhooks) runs after its
        # assignment: count the CPU until the system is idle again.
        cpu_used = await until_idle(cpu) - cpu_before
        # Seen in a poll that ended before the 201 arrived: it was visible no later than accepted.
        delays = [
            max(0.0, watcher.visible_at[n] - accepted) * 1000
            for n, accepted in accepted_at.items()
            if n in watcher.visible_at
        ]
        if len(delays) < count:
            print(f"  {count - len(delays)} of {count} not assigned within {time_limit}s", file=sys.stderr)
        assigned_in = max(watcher.visible_at.get(n, started) for n in accepted_at) - started
        per_submission = CpuReading(*(seconds * 1000 / count for seconds in astuple(cpu_used)))
        return Measured(load, count / elapsed, len(delays) / assigned_in, delays, per_submission)

    try:
        # A first pass, not reported: every catalog entry known, every consumer (group) running,
        # every connection open before anything is measured.
        await run(0, Load(concurrency), warm_up=True)
        return [await run(number, load) for number, load in enumerate(loads, start=1)]
    finally:
        await platform.aclose()
        await watcher.close()


async def until_idle(cpu: CpuMeter) -> CpuReading:
    """The reading once the system uses less than IDLE_SHARE of a core (or after IDLE_WAIT_SECONDS)."""
    reading = cpu.read()
    deadline = time.perf_counter() + IDLE_WAIT_SECONDS
    while time.perf_counter() < deadline:
        await asyncio.sleep(IDLE_SAMPLE_SECONDS)
        latest = cpu.read()
        if (latest - reading).total < IDLE_SHARE * IDLE_SAMPLE_SECONDS:
            return latest
        reading = latest
    return reading


async def measure_rows(
    system: RunningSystem | ProcessSystem,
    label: str,
    count: int,
    loads: list[Load],
    time_limit: float,
    broker_pid: int | None = None,
) -> list[Row]:
    # The system as it ships: not the tests' faster polling timers.
    for name in TEST_TIMERS:
        system.env.pop(name, None)
    try:
        system.start()
        measured = await measure_system(system, count, loads, time_limit, broker_pid)
    finally:
        system.stop()
        await drop_database(system.env["AWARDPATH_DATABASE_URL"])
    return [
        Row(
            f"{label}, {result.load.describe()}",
            f"{result.accepted_per_second:.0f} accepted/s, {result.assigned_per_second:.0f} assigned/s",
            result.delays_ms,
            "submission accepted (201) → assignment committed",
            result.cpu_per_submission_ms,
        )
        for result in measured
    ]


async def all_in_one(backend: str, count: int, loads: list[Load], time_limit: float, workdir: Path) -> list[Row]:
    system = RunningSystem(await create_database(backend, workdir), workdir / f"awardpath-{backend}.log")
    label = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[backend]
    return await measure_rows(
        system, f"all-in-one (`awardpath serve all`, in-process transport), {label}", count, loads, time_limit
    )


async def kafka_processes(
    broker: Broker, count: int, loads: list[Load], time_limit: float, workdir: Path, assessment_workers: int
) -> list[Row]:
    """The services as docker-compose.yml runs them: `migrate all`, then per service
    `serve SERVICE --no-migrate` and `worker SERVICE --no-migrate` (`assessment_workers` of the
    assessment service's), with the transport's own settings (not the tests' faster group
    timings), in a fresh namespace on the broker."""
    log_dir = workdir / f"kafka-{assessment_workers}"
    log_dir.mkdir(exist_ok=True)
    env = {BOOTSTRAP_ENV: broker.bootstrap_servers, "AWARDPATH_KAFKA_NAMESPACE": new_namespace()}
    system = ProcessSystem(await create_database("postgres", workdir), log_dir, env, {"assessment": assessment_workers})
    workers = "one worker" if assessment_workers == 1 else f"{assessment_workers} assessment workers"
    return await measure_rows(
        system,
        f"Kafka: each service's API and worker as separate processes ({workers}), PostgreSQL",
        count,
        loads,
        time_limit,
        broker.pid,
    )


# ---- the ceilings --------------------------------------------------------------------------


async def bare_endpoint(count: int, load: Load, workdir: Path) -> Row:
    port = free_port()
    log = (workdir / "bare.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.bare_app", str(port)], stdout=log, stderr=subprocess.STDOUT
    )
    client = http_client(f"http://127.0.0.1:{port}", None, load.concurrency)
    try:
        await eventually_ok(lambda: _get_or_refused(client, "/health/ready"), timeout=30)
        latencies: list[float] = []

        async def post(seq: int) -> None:
            started = time.perf_counter()
            response = await client.post("/v1/submissions", json=submission_body("bench", seq))
            assert response.status_code == 201, response.text
            latencies.append((time.perf_counter() - started) * 1000)

        elapsed = await load.drive(count, post)
    finally:
        await client.aclose()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()
    return Row(
        f"ceiling: bare FastAPI endpoint (no DB), uvicorn as `awardpath serve` runs it, {load.describe()}",
        f"{count / elapsed:.0f} requests/s",
        latencies,
        "request sent → 201 received",
    )


async def _get_or_refused(client: httpx.AsyncClient, path: str) -> httpx.Response:
    try:
        return await client.get(path)
    except httpx.TransportError:
        return httpx.Response(503, request=httpx.Request("GET", path))


async def kafka_round_trip(bootstrap: str, count: int, load: Load, time_limit: float, fetch_max_wait_ms: int) -> Row:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    for server in bootstrap.split(","):
        assert urlsplit(f"//{server}").hostname in LOOPBACK, f"the benchmark only targets 127.0.0.1, not {server}"
    topic = f"bench.roundtrip.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=fetch_max_wait_ms,
    )
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
        await producer.start()
        await consumer.start()
        consumer.assign([TopicPartition(topic, 0)])
        payload = httpx.Request("POST", "/", json=submission_body("bench", 0)).content
        sent_at: dict[int, float] = {}
        received_at: dict[int, float] = {}

        async def consume() -> None:
            while len(received_at) < count:
                batches = await consumer.getmany(timeout_ms=100)
                now = time.perf_counter()
                for records in batches.values():
                    for record in records:
                        received_at[int(record.key)] = now

        async def produce(seq: int) -> None:
            sent_at[seq] = time.perf_counter()
            await producer.send_and_wait(topic, payload, key=str(seq).encode())

        consuming = asyncio.create_task(consume())
        await load.drive(count, produce)
        await asyncio.wait_for(consuming, timeout=time_limit)
    finally:
        await consumer.stop()
        await producer.stop()
        try:
            await admin.delete_topics([topic])
        finally:
            await admin.close()
    elapsed = max(received_at.values()) - min(sent_at.values())
    return Row(
        f"ceiling: raw aiokafka produce (acks=all) → consume, one partition, "
        f"fetch_max_wait_ms={fetch_max_wait_ms}, {load.describe()}",
        f"{count / elapsed:.0f} messages/s",
        [(received_at[seq] - sent_at[seq]) * 1000 for seq in received_at],
        "send started → record consumed",
    )


# ---- the report ----------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


@contextlib.contextmanager
def kafka_broker(arguments: argparse.Namespace, directory: Path) -> Iterator[Broker | None]:
    """The broker the Kafka modes use: `--kafka`, or a Tansu started (and stopped) here."""
    if arguments.kafka or not {"kafka", "kafka-2", "kafka-raw"} & set(arguments.modes):
        yield Broker(arguments.kafka, None) if arguments.kafka else None
        return
    broker = TansuBroker(directory)
    broker.start()
    try:
        yield Broker(broker.bootstrap_servers, broker.pid)
    finally:
        broker.stop()


async def run(arguments: argparse.Namespace) -> list[Row]:
    saturating = Load(arguments.concurrency)
    loads = [saturating] + ([Load(arguments.concurrency, arguments.rate)] if arguments.rate else [])
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="awardpath-bench-") as directory,
        kafka_broker(arguments, Path(directory)) as broker,
    ):
        workdir = arguments.logs or Path(directory)
        workdir.mkdir(parents=True, exist_ok=True)
        for mode in arguments.modes:
            print(f"measuring {mode} ...", file=sys.stderr)
            if mode in ("sqlite", "postgres"):
                rows += await all_in_one(mode, arguments.count, loads, arguments.time_limit, workdir)
            elif mode == "bare":
                rows.append(await bare_endpoint(arguments.count, saturating, workdir))
            elif mode in ("kafka", "kafka-2"):
                workers = 2 if mode == "kafka-2" else 1
                rows += await kafka_processes(broker, arguments.count, loads, arguments.time_limit, workdir, workers)
            else:
                for load in loads:
                    rows.append(
                        await kafka_round_trip(
                            broker.bootstrap_servers,
                            arguments.count,
                            load,
                            arguments.time_limit,
                            arguments.fetch_max_wait_ms,
                        )
                    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="submissions (or requests, messages) per mode")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=10, help="also run paced at this many per second (0: don't)")
    parser.add_argument("--time-limit", type=float, default=120, help="seconds to wait for the last assignment")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument(
        "--fetch-max-wait-ms", type=int, default=500, help="the round trip's consumer setting (aiokafka's default: 500)"
    )
    parser.add_argument("--logs", type=Path, help="keep the servers' logs (and SQLite files) in this directory")
    parser.add_argument(
        "--kafka",
        default=os.environ.get(BOOTSTRAP_ENV),
        help="a loopback broker for the Kafka modes (default: KAFKA_BOOTSTRAP_SERVERS, else a Tansu started here)",
    )
    arguments = parser.parse_args()
    arguments.modes = [mode for mode in arguments.modes.split(",") if mode]
    unknown = set(arguments.modes) - set(MODES)
    if unknown or not 0 < arguments.count <= 100_000:
        parser.error(f"unknown modes {sorted(unknown)}" if unknown else "--count must be 1..100000")
    load_before = os.getloadavg()[0]
    rows = asyncio.run(run(arguments))
    print(
        f"\n{arguments.count} per row; {machine()}; load average {load_before:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after (anything above 0 is other work sharing the CPUs)\n"
    )
    cpu = "CPU ms per submission (services + PostgreSQL + broker)"
    print(f"| run | throughput | {cpu} | p50 ms | p95 ms | p99 ms | latency is |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(row.markdown())


if __name__ == "__main__":
    main()
