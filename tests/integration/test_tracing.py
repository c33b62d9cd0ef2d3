"""One submission's path is one trace per request that moves it: the platform's POST starts a
trace that goes on, event after event, in the three services' consumers up to the assignment
(and back in the submission service); the assessor's review starts the trace of the rest, up
to the credential. Through the three running apps (in-process transport), both backends."""

import pytest
from opentelemetry.trace import SpanKind

from tests.support.award_path import Earner, open_award_path
from tests.support.in_process import running_clients
from tests.support.polling import eventually
from tests.support.tracing import consumer_spans, descends_from, parent_of, recorded_spans

SECRET = "test-secret-for-tracing"
SUBMITTED = "submission.submitted.v1"
RECIPIENT = "recipient.identified.v1"
ASSIGNED = "assessment.assigned.v1"
COMPLETED = "assessment.completed.v1"
DECIDED = "award.decided.v1"
ISSUED = "credential.issued.v1"


@pytest.fixture
def spans():
    with recorded_spans() as exporter:
        yield exporter


@pytest.fixture
async def clients(database_url, spans):
    async with running_clients(database_url, SECRET) as made:
        yield made


def about(spans, submission_id: str) -> list:
    """The relay's and the consumers' spans of events about the submission."""
    return [
        span
        for span in spans
        if span.kind in (SpanKind.PRODUCER, SpanKind.CONSUMER)
        and submission_id
        in (span.attributes.get("awardpath.submission_id"), span.attributes.get("cloudevents.event_subject"))
    ]


def server_span(spans, name: str, submission_id: str | None = None):
    [span] = [
        span
        for span in spans
        if span.name == name
        and span.attributes.get("http.response.status_code") in (200, 201)
        and (submission_id is None or span.attributes.get("awardpath.submission_id") == submission_id)
    ]
    return span


async def test_a_submission_is_traced_from_its_post_through_every_service_to_its_credential(clients, spans):
    path = await open_award_path(clients, policy="auto")
    submission_id = await path.submit(Earner())
    view = await path.claim("assessor-a")
    await path.review("assessor-a", view["assignment_id"], "proficient", "award")
    await eventually(lambda: path.submission(submission_id), lambda body: body["credential_id"])
    # The handler's span ends once its transaction committed, just after what it wrote shows.
    recorded = await eventually(
        spans.get_finished_spans, lambda done: consumer_spans(done, "awardpath-submission", ISSUED)
    )

    intake = server_span(recorded, "POST /v1/submissions", submission_id)
    review = server_span(recorded, "POST /v1/assignments/{assignment_id}/review")
    assert intake.context.trace_id != review.context.trace_id  # two people, two requests

    # The intake's trace: the POST, then the assessment service assigns (its handler is a
    # child of the POST), the award service records the recipient, and the submission service
    # records the assignment (a child of the assessment service's handler).
    # A first attempt may fail while the rubric is still on its way to assessment (the catalog
    # event has a topic of its own): it is retried in the same trace, and the last one assigns.
    *retried, assigning = consumer_spans(recorded, "awardpath-assessment", SUBMITTED)
    [recipient] = consumer_spans(recorded, "awardpath-award", RECIPIENT)
    [assigned] = consumer_spans(recorded, "awardpath-submission", ASSIGNED)
    assert intake.attributes["awardpath.service"] == "awardpath-submission"
    assert parent_of(assigning, recorded) is intake
    assert all(attempt.context.trace_id == intake.context.trace_id for attempt in retried)
    assert parent_of(recipient, recorded) is intake
    assert parent_of(assigned, recorded) is assigning
    for span in (assigning, recipient, assigned):
        assert span.context.trace_id == intake.context.trace_id
        assert span.attributes["awardpath.submission_id"] == submission_id

    # The review's trace: the award service decides (auto) and issues, the submission service
    # records the review, the decision and the credential.
    [completed] = consumer_spans(recorded, "awardpath-award", COMPLETED)
    assert parent_of(completed, recorded) is review
    for group, event_type in (
        ("awardpath-submission", COMPLETED),
        ("awardpath-submission", DECIDED),
        ("awardpath-submission", ISSUED),
    ):
        [span] = consumer_spans(recorded, group, event_type)
        assert descends_from(span, review, recorded), (group, event_type)

    # Nothing of the submission's path started a trace of its own: every event about it was
    # published and handled in the intake's trace or the review's.
    traces = {span.context.trace_id for span in about(recorded, submission_id)}
    assert traces == {intake.context.trace_id, review.context.trace_id}
    publishes = [span for span in about(recorded, submission_id) if span.name.startswith("publish ")]
    assert {span.attributes["cloudevents.event_type"] for span in publishes} >= {SUBMITTED, ASSIGNED, COMPLETED, ISSUED}
    assert all(parent_of(span, recorded) is not None for span in publishes)
