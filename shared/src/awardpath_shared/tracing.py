"""Distributed tracing (OpenTelemetry): one submission's path through the services is one trace.

A trace starts at an HTTP request (`observability.RequestTracing`; a caller's `traceparent`
header is continued). `UnitOfWork.publish` keeps the context current when an event is staged
on its outbox row (`trace_context`: W3C `traceparent` and `tracestate`); the relay publishes
the row in a span of that trace and sets both on the CloudEvent (the CloudEvents Distributed
Tracing extension), which carries them over any transport (on Kafka as `ce_traceparent` and
`ce_tracestate` headers) and into dead letters and their replays. The consumer handles the
event in a span whose parent is that context, so what its handler stages goes on in the same
trace, in the next service.

The event keeps the context it was staged in, hop after hop (the extension's rule): the
relay's publish span and the consumers' spans are siblings under the span that staged it.

Several events handled in one transaction (a batch) each get a span parented by their own
event's context, linked to one span of the transaction (the inbox rows, the commit), which
links back to each event's context: a submission's trace stays whole whichever events happen
to share a transaction, and the shared work is found from any of them.

A process installs its provider at start (`install_tracing`, called by the CLI). With
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans are
exported over OTLP/HTTP in batches, the exporter and the sampler configured by the other
standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER`,
`OTEL_SERVICE_NAME`, ...). Without one nothing is recorded or exported: ids are still made and
propagated (two random numbers a span), so the log lines of one submission share a trace id
across services. `OTEL_SDK_DISABLED=true` installs nothing at all.
"""

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext

from cloudevents.core.base import BaseCloudEvent
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import AttributeValue

from awardpath_shared import logs

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACE_CONTEXT_FIELDS = (TRACEPARENT, TRACESTATE)
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

# A proxy: it follows the provider the process installs (none: spans record nothing).
tracer = trace.get_tracer("awardpath")
# Only the W3C trace context travels (the extension's two attributes), never baggage.
_propagator = TraceContextTextMapPropagator()

PerEventSpan = Callable[[BaseCloudEvent], AbstractContextManager[object]]


def exporting() -> bool:
    """Whether the standard variables name an OTLP endpoint (and the SDK is not disabled)."""
    return any(os.environ.get(name) for name in ENDPOINT_VARIABLES) and not _disabled()


def tracer_provider(service_name: str) -> TracerProvider:
    """The provider `install_tracing` installs: exporting over OTLP/HTTP when configured,
    otherwise recording nothing (ids only). `OTEL_SERVICE_NAME` overrides `service_name`."""
    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    if not exporting():
        return TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    # Imported only when used: it brings requests and protobuf.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=resource)  # the sampler from OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def install_tracing(service_name: str) -> None:
    """Install this process's provider (once, at start); spans still queued are exported
    when the process exits."""
    if not _disabled():
        trace.set_tracer_provider(tracer_provider(service_name))


def current_trace_context() -> dict[str, str] | None:
    """The W3C trace context of the current span (what an outbox row keeps), or None outside
    any trace."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier or None


def extensions_of(trace_context: Mapping[str, str] | None) -> dict[str, str]:
    """The CloudEvent extension attributes carrying a kept trace context."""
    return {name: trace_context[name] for name in TRACE_CONTEXT_FIELDS if trace_context and trace_context.get(name)}


def context_of(cloudevent: BaseCloudEvent) -> Context:
    """The context the event carries (an empty one, a new trace, when it carries none)."""
    carrier = {name: value for name in TRACE_CONTEXT_FIELDS if isinstance(value := cloudevent.get_extension(name), str)}
    return _propagator.extract(carrier, context=Context())


@contextmanager
def serving(method: str, headers: Sequence[tuple[bytes, bytes]], service: str) -> Iterator[Span]:
    """The span of one HTTP request (its route is named once routing found it: `served`)."""
    carrier = {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in headers
        if name in (b"traceparent", b"tracestate")
    }
    attributes = {"http.request.method": method, "awardpath.service": service}
    parent = _propagator.extract(carrier, context=Context())
    with _span(method, parent, SpanKind.SERVER, attributes) as span, logs.working_on(service=service):
        yield span


def served(span: Span, method: str, route: str | None, status: int) -> None:
    if not span.is_recording():
        return
    if route is not None:
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextmanager
def publishing(
    trace_context: Mapping[str, str] | None, *, event_type: str, event_id: str, topic: str, key: str
) -> Iterator[Span]:
    """The relay's span of publishing one outbox row, in the trace that staged it."""
    attributes = {
        "messaging.operation.type": "send",
        "messaging.destination.name": topic,
        "messaging.message.id": event_id,
        "cloudevents.event_type": event_type,
        "cloudevents.event_subject": key,
    }
    parent = _propagator.extract(dict(trace_context or {}), context=Context())
    with _span(f"publish {event_type}", parent, SpanKind.PRODUCER, attributes) as span:
        yield span


def failed(span: Span, error: BaseException) -> None:
    """Mark the span's work failed, by the error's type only: a message can carry what the
    failing code was given (an SQL error's parameters: an e-mail address), and spans leave
    the service."""
    span.set_attribute("error.type", f"{type(error).__module__}.{type(error).__qualname__}")
    span.set_status(Status(StatusCode.ERROR))


@contextmanager
def continuing(cloudevent: BaseCloudEvent, group: str) -> Iterator[None]:
    """Work on the event outside its handler's span (delivery's retries, outcomes and dead
    letters): its log lines carry the event's trace and submission."""
    token = otel_context.attach(context_of(cloudevent))
    try:
        with logs.working_on(service=group, submission_id=_submission_of(cloudevent)):
            yield
    finally:
        otel_context.detach(token)


@contextmanager
def consuming(cloudevents: Sequence[BaseCloudEvent], group: str) -> Iterator[PerEventSpan]:
    """The spans of one transaction that handles `cloudevents`; yields what to wrap each
    event's handler in. One event: its span covers the whole transaction. Several: one span
    of the transaction, linked to every event's context, and one span per handler, parented by
    its event's context and linked to the transaction's span."""
    if len(cloudevents) == 1:
        with handling(cloudevents[0], group):
            yield _no_span
        return
    links = [Link(context) for context in map(_span_context_of, cloudevents) if context.is_valid]
    attributes: dict[str, AttributeValue] = {
        "messaging.batch.message_count": len(cloudevents),
        "messaging.consumer.group.name": group,
    }
    with (
        _span(f"process {len(cloudevents)} events", Context(), SpanKind.CONSUMER, attributes, links) as batch,
        logs.working_on(service=group),
    ):
        batch_link = [Link(batch.get_span_context())]
        yield lambda cloudevent: handling(cloudevent, group, batch_link)


@contextmanager
def handling(cloudevent: BaseCloudEvent, group: str, links: Sequence[Link] = ()) -> Iterator[Span]:
    """The consumer's span of handling one event, continuing the trace the event carries."""
    submission_id = _submission_of(cloudevent)
    attributes: dict[str, AttributeValue] = {
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": group,
        "messaging.message.id": cloudevent.get_id(),
        "cloudevents.event_id": cloudevent.get_id(),
        "cloudevents.event_type": cloudevent.get_type(),
        "cloudevents.event_source": cloudevent.get_source(),
    }
    if submission_id is not None:
        attributes[logs.SUBMISSION_ATTRIBUTE] = submission_id
    name = f"process {cloudevent.get_type()}"
    with (
        _span(name, context_of(cloudevent), SpanKind.CONSUMER, attributes, links) as span,
        logs.working_on(service=group, submission_id=submission_id),
    ):
        yield span


@contextmanager
def _span(
    name: str,
    parent: Context,
    kind: SpanKind,
    attributes: Mapping[str, AttributeValue],
    links: Sequence[Link] = (),
) -> Iterator[Span]:
    """A current span under `parent`; an error raised through it marks it `failed`."""
    with tracer.start_as_current_span(
        name,
        context=parent,
        kind=kind,
        attributes=attributes,
        links=links,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except Exception as error:
            failed(span, error)
            raise


def _no_span(_cloudevent: BaseCloudEvent) -> AbstractContextManager[object]:
    return nullcontext()


def _span_context_of(cloudevent: BaseCloudEvent) -> trace.SpanContext:
    return trace.get_current_span(context_of(cloudevent)).get_span_context()


def _submission_of(cloudevent: BaseCloudEvent) -> str | None:
    data = cloudevent.get_data()
    submission_id = data.get("submission_id") if isinstance(data, dict) else None
    return submission_id if isinstance(submission_id, str) else None


def _disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"
