"""Log lines: one JSON object a line (or text on a terminal), each with the trace and span ids
current where it was logged and the submission it concerns, nothing else of the request."""

import io
import json
import logging
import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from awardpath_shared.logs import (
    LOG_FORMAT_VARIABLE,
    JsonFormatter,
    TextFormatter,
    log_format,
    note_submission,
    working_on,
)

SUBMISSION_ID = "01a2b3c4-0000-7000-8000-000000000001"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def logged():
    """A logger writing through the JSON formatter; returns the lines written."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("awardpath.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def test_a_line_in_a_span_is_one_json_object_with_the_trace_and_span_ids(logged):
    logger, lines = logged
    with TracerProvider().get_tracer("test").start_as_current_span("work") as span:
        logger.info("assigned %s to %d assessors", "item", 2)
    [line] = lines()
    context = span.get_span_context()
    assert line["trace_id"] == f"{context.trace_id:032x}" and len(line["trace_id"]) == 32
    assert line["span_id"] == f"{context.span_id:016x}" and len(line["span_id"]) == 16
    assert line["message"] == "assigned item to 2 assessors"
    assert (line["level"], line["logger"]) == ("INFO", "awardpath.test.logs")
    assert line["time"].endswith("+00:00")
    assert "submission_id" not in line


def test_a_line_names_the_service_and_submission_it_is_about_while_they_are_known(logged):
    logger, lines = logged
    with working_on(service="awardpath-assessment"):
        logger.info("before")
        note_submission(SUBMISSION_ID)
        logger.info("after")
    logger.info("outside")
    before, after, outside = lines()
    assert before["service"] == after["service"] == "awardpath-assessment"
    assert "submission_id" not in before and after["submission_id"] == SUBMISSION_ID
    assert "submission_id" not in outside and outside["service"] != "awardpath-assessment"


def test_a_line_outside_any_trace_has_no_trace_ids(logged):
    logger, lines = logged
    logger.warning("startup")
    [line] = lines()
    assert "trace_id" not in line and "span_id" not in line
    assert line["level"] == "WARNING"


def test_an_error_line_keeps_its_traceback_inside_the_one_json_line(logged):
    logger, lines = logged
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        logger.exception("handling failed")
    [line] = lines()  # one line: the newlines are escaped
    assert line["message"] == "handling failed"
    assert "ValueError: bad" in line["exception"]


def test_the_text_format_adds_the_ids_to_the_line():
    record = logging.LogRecord("awardpath.x", logging.INFO, __file__, 1, "handled %s", ("event",), None)
    with TracerProvider().get_tracer("test").start_as_current_span("work") as span, working_on(submission_id="s-1"):
        text = TextFormatter().format(record)
    trace_id = trace.format_trace_id(span.get_span_context().trace_id)
    assert text.endswith(
        f"INFO awardpath.x handled event trace_id={trace_id} "
        f"span_id={trace.format_span_id(span.get_span_context().span_id)} submission_id=s-1"
    )


def test_the_format_is_chosen_by_the_variable_and_a_wrong_value_is_refused(monkeypatch):
    monkeypatch.setenv(LOG_FORMAT_VARIABLE, "TEXT")
    assert log_format() == "text"
    monkeypatch.setenv(LOG_FORMAT_VARIABLE, "json")
    assert log_format() == "json"
    monkeypatch.delenv(LOG_FORMAT_VARIABLE)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert log_format() == "json"  # a container, a file, a pipe
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert log_format() == "text"  # `make run` in a terminal
    monkeypatch.setenv(LOG_FORMAT_VARIABLE, "yaml")
    with pytest.raises(ValueError, match=LOG_FORMAT_VARIABLE):
        log_format()
