"""Log lines, the same in every process: JSON objects, one a line, or text for a terminal.

`AWARDPATH_LOG_FORMAT=json|text` chooses; unset, a process whose standard error is a terminal
(`make run`) writes text and any other (a container, a file, a pipe) writes JSON. Every line
carries the trace and span ids current where it was logged (`trace_id`, `span_id`: the ids of
`tracing`, the same trace across services for one submission's path) and, where known, the
submission it concerns (`submission_id`: set by the HTTP edge from the path, by the intake for
a new submission and by the consumer from each event) and the service logging it.

Nothing here adds what a line's own message does not carry: no request body, no query string
(`observability.AccessLogWithoutQuery`), so the earner's identity stays out of the logs.
"""

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

LOG_FORMAT_VARIABLE = "AWARDPATH_LOG_FORMAT"
LOG_FORMATS = ("json", "text")
# The span attribute naming a submission (the log lines' `submission_id`).
SUBMISSION_ATTRIBUTE = "awardpath.submission_id"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

_submission: ContextVar[str | None] = ContextVar("awardpath_log_submission", default=None)
_service: ContextVar[str | None] = ContextVar("awardpath_log_service", default=None)
# The process's name (`configure_logging`): the service of lines logged outside any service's work.
_process = {"service": "awardpath"}


def log_format() -> str:
    """`json` or `text`: `AWARDPATH_LOG_FORMAT`, else text on a terminal and JSON elsewhere."""
    chosen = os.environ.get(LOG_FORMAT_VARIABLE, "").strip().lower()
    if chosen in LOG_FORMATS:
        return chosen
    if chosen:
        raise ValueError(f"{LOG_FORMAT_VARIABLE} must be one of {', '.join(LOG_FORMATS)}, not {chosen!r}")
    return "text" if sys.stderr.isatty() else "json"


def configure_logging(level: str, service: str = "awardpath") -> None:
    """The root logger of the process, in `log_format()`; `service` names the process."""
    _process["service"] = service
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # One line per outgoing request is noise at INFO (the demo seeding, later webhooks).
    logging.getLogger("httpx").setLevel(logging.WARNING)


def formatter() -> logging.Formatter:
    return JsonFormatter() if log_format() == "json" else TextFormatter()


def formatter_config() -> dict[str, Any]:
    """The formatter of a `logging.config.dictConfig` (uvicorn's log config uses it)."""
    return {"()": JsonFormatter if log_format() == "json" else TextFormatter}


@contextmanager
def working_on(*, service: str | None = None, submission_id: str | None = None) -> Iterator[None]:
    """Log lines within the block name this service and submission (None: not known yet)."""
    service_token = _service.set(service) if service is not None else None
    submission_token = _submission.set(submission_id)
    try:
        yield
    finally:
        _submission.reset(submission_token)
        if service_token is not None:
            _service.reset(service_token)


def note_submission(submission_id: str) -> None:
    """The work under way (a request, an event's handler) concerns this submission: the rest of
    its log lines, and its span, name it. The enclosing `working_on` forgets it at its end."""
    _submission.set(submission_id)
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(SUBMISSION_ATTRIBUTE, submission_id)


def context_fields() -> dict[str, str]:
    """What a line logged here and now carries besides its message."""
    fields = {"service": _service.get() or _process["service"]}
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        fields["trace_id"] = trace.format_trace_id(span_context.trace_id)
        fields["span_id"] = trace.format_span_id(span_context.span_id)
    submission_id = _submission.get()
    if submission_id is not None:
        fields["submission_id"] = submission_id
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, then `context_fields()`;
    an access line adds its method, path and status; an error adds its traceback.

    Formatted as it is logged (the handlers here write synchronously), so the context read is
    the logging code's."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context_fields(),
        }
        line.update(_access_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger message`, then the context fields as `name=value`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(f"{name}={value}" for name, value in context_fields().items() if name != "service")
        if not context:
            return text
        first, newline, rest = text.partition("\n")  # a traceback stays below the line
        return f"{first} {context}{newline}{rest}"


def _access_fields(record: logging.LogRecord) -> dict[str, Any]:
    """uvicorn's access line as fields: its args are (client, method, path, http version, status)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return {}
    return {"http_method": args[1], "http_path": args[2], "http_status": args[4]}
