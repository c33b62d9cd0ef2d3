"""Spans recorded in memory, for the tests that follow a trace through the services.

OpenTelemetry takes one tracer provider per process, so the first test that asks installs it
for the rest of the run; it records only while a test holds `recorded_spans()`. Otherwise it
behaves as a process without an exporter does: ids made and propagated, nothing recorded.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes


class Switch(Sampler):
    """Records every span while on, none while off."""

    def __init__(self) -> None:
        self.on = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        parent_state = trace.get_current_span(parent_context).get_span_context().trace_state
        if self.on:
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, parent_state)
        return SamplingResult(Decision.DROP, None, parent_state)

    def get_description(self) -> str:
        return "Switch"


class _Recorder:
    def __init__(self) -> None:
        self.switch = Switch()
        self.exporter = InMemorySpanExporter()
        self.installed = False

    def install(self) -> None:
        if self.installed:
            return
        provider = TracerProvider(sampler=self.switch)
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        trace.set_tracer_provider(provider)
        assert trace.get_tracer_provider() is provider, "another tracer provider was installed first"
        self.installed = True


_RECORDER = _Recorder()


@contextmanager
def recorded_spans() -> Iterator[InMemorySpanExporter]:
    """The spans that end within the block (`get_finished_spans()`)."""
    _RECORDER.install()
    _RECORDER.exporter.clear()
    _RECORDER.switch.on = True
    try:
        yield _RECORDER.exporter
    finally:
        _RECORDER.switch.on = False
        _RECORDER.exporter.clear()


def consumer_spans(spans: Sequence[ReadableSpan], group: str, event_type: str) -> list[ReadableSpan]:
    """The spans of `group` handling events of `event_type` (one per event handled)."""
    return [
        span
        for span in spans
        if span.kind is SpanKind.CONSUMER
        and (span.attributes or {}).get("messaging.consumer.group.name") == group
        and (span.attributes or {}).get("cloudevents.event_type") == event_type
    ]


def parent_of(span: ReadableSpan, spans: Sequence[ReadableSpan]) -> ReadableSpan | None:
    """The recorded span `span` is a child of (None: a root, or a parent not recorded)."""
    if span.parent is None:
        return None
    return next((each for each in spans if each.context.span_id == span.parent.span_id), None)


def descends_from(span: ReadableSpan, ancestor: ReadableSpan, spans: Sequence[ReadableSpan]) -> bool:
    parent = parent_of(span, spans)
    while parent is not None:
        if parent.context.span_id == ancestor.context.span_id:
            return True
        parent = parent_of(parent, spans)
    return False
