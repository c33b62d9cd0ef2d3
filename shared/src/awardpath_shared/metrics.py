"""What a process's messaging does, as Prometheus metrics: handler durations and outcomes,
dead letters, relay passes. Kept in one registry per process, every series labelled with its
service; each service's `/metrics` (API or worker) shows its own service's series."""

import time
from collections.abc import Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from awardpath_shared.unit_of_work import U

if TYPE_CHECKING:  # the messaging package imports this module
    from awardpath_shared.messaging.inbox import Handler, HandlerMap

PROCESS_REGISTRY = CollectorRegistry()

HANDLER_SECONDS = Histogram(
    "awardpath_handler_duration_seconds",
    "Time an event handler took, by outcome (ok, or error: retried or dead-lettered)",
    ["service", "event_type", "outcome"],
    registry=PROCESS_REGISTRY,
)
DEAD_LETTERS = Counter(
    "awardpath_dead_letters_total",
    "Events the service's consumer group gave up on (dead-lettered) in this process",
    ["service", "event_type"],
    registry=PROCESS_REGISTRY,
)
RELAY_PASS_SECONDS = Histogram(
    "awardpath_relay_pass_duration_seconds",
    "Time an outbox relay pass took that published anything (claim, publish, mark sent)",
    ["service"],
    registry=PROCESS_REGISTRY,
)
RELAY_PUBLISHED = Counter(
    "awardpath_relay_published_total", "Outbox rows published", ["service"], registry=PROCESS_REGISTRY
)

# Consumer groups are named after their service (`awardpath-<service>`).
GROUP_PREFIX = "awardpath-"


def service_of_group(group: str) -> str:
    return group.removeprefix(GROUP_PREFIX)


def timed_handlers(service: str, handlers: "HandlerMap[U]") -> "HandlerMap[U]":
    """The service's handler map, each handler observed in `awardpath_handler_duration_seconds`."""
    return {
        event_class: _timed(service, event_class.event_type(), handler) for event_class, handler in handlers.items()
    }


def _timed(service: str, event_type: str, handler: "Handler[U]") -> "Handler[U]":

    @wraps(handler)
    async def timed(uow: U, event: Any) -> None:
        started = time.perf_counter()
        outcome = "error"
        try:
            await handler(uow, event)
            outcome = "ok"
        finally:
            HANDLER_SECONDS.labels(service, event_type, outcome).observe(time.perf_counter() - started)

    return timed


class ServicesSeries(Collector):
    """The process registry's series of some services (`service` label): in `serve all` three
    services share a process, and each API shows its own."""

    def __init__(self, services: set[str]) -> None:
        self.services = services

    def collect(self) -> Iterable[Metric]:
        for metric in PROCESS_REGISTRY.collect():
            kept = [sample for sample in metric.samples if sample.labels.get("service") in self.services]
            if kept:
                metric.samples = kept
                yield metric
