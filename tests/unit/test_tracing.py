"""The tracer provider a process installs, from the standard OTEL_* variables, and the trace
context an outbox row keeps and its CloudEvent carries."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import StatusCode

from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.envelope import to_cloudevent
from awardpath_shared.tracing import context_of, current_trace_context, extensions_of, handling, tracer_provider
from tests.support.messaging import published_event
from tests.support.tracing import recorded_spans

OTEL_VARIABLES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER",
    "OTEL_SDK_DISABLED",
)


@pytest.fixture(autouse=True)
def no_otel_variables(monkeypatch):
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def provider_of():
    made: list[TracerProvider] = []

    def make(service: str) -> TracerProvider:
        made.append(tracer_provider(service))
        return made[-1]

    yield make
    for provider in made:
        provider.shutdown()


def test_without_an_endpoint_nothing_is_recorded_but_ids_are_made_and_carried_on(provider_of):
    tracer = provider_of("awardpath-award").get_tracer("test")
    with tracer.start_as_current_span("request") as request, tracer.start_as_current_span("handler") as handler:
        assert not request.is_recording() and not handler.is_recording()
        assert request.get_span_context().is_valid
        assert handler.get_span_context().trace_id == request.get_span_context().trace_id
        assert handler.get_span_context().span_id != request.get_span_context().span_id


def test_with_an_endpoint_spans_are_recorded_for_the_exporter(provider_of, monkeypatch):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    provider = provider_of("awardpath-award")
    span = provider.get_tracer("test").start_span("request")  # never ended: nothing is sent
    assert span.is_recording()
    assert provider.resource.attributes["service.name"] == "awardpath-award"


def test_the_service_name_variable_wins(provider_of, monkeypatch):
    monkeypatch.setenv("OTEL_SERVICE_NAME", "awardpath-award-eu")
    assert provider_of("awardpath-award").resource.attributes["service.name"] == "awardpath-award-eu"


def test_the_context_a_row_keeps_is_the_one_its_cloudevent_carries_to_the_consumer():
    assert current_trace_context() is None  # outside any trace a row keeps nothing
    with TracerProvider().get_tracer("test").start_as_current_span("request") as request:
        kept = current_trace_context()
    assert kept is not None and set(kept) == {"traceparent"}
    event = published_event()
    cloudevent = to_cloudevent(event, event_id=new_id(), source="/t", time=utcnow(), extensions=extensions_of(kept))
    assert cloudevent.get_extension("traceparent") == kept["traceparent"]
    carried = trace.get_current_span(context_of(cloudevent)).get_span_context()
    staged = request.get_span_context()
    assert (carried.trace_id, carried.span_id) == (staged.trace_id, staged.span_id)
    assert carried.is_remote


def test_an_event_without_a_trace_context_starts_a_trace_of_its_own():
    cloudevent = to_cloudevent(published_event(), event_id=new_id(), source="/t", time=utcnow())
    assert cloudevent.get_extension("traceparent") is None
    with TracerProvider().get_tracer("test").start_as_current_span("elsewhere"):
        assert not trace.get_current_span(context_of(cloudevent)).get_span_context().is_valid


def test_tracestate_travels_beside_traceparent():
    kept = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "tracestate": "vendor=x"}
    cloudevent = to_cloudevent(
        published_event(),
        event_id=new_id(),
        source="/t",
        time=utcnow(),
        extensions=extensions_of(kept),
    )
    carried = trace.get_current_span(context_of(cloudevent)).get_span_context()
    assert carried.trace_state.get("vendor") == "x"
    assert f"{carried.trace_id:032x}" == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_failing_handler_marks_its_span_by_the_error_type_only():
    cloudevent = to_cloudevent(published_event(), event_id=new_id(), source="/t", time=utcnow())
    with recorded_spans() as spans:
        with pytest.raises(LookupError), handling(cloudevent, "awardpath-award"):
            raise LookupError("no row for ada@school.example.org")
        [span] = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "builtins.LookupError"
    assert "ada@" not in span.to_json()  # the message stays out of what is exported
