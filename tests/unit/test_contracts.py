"""Event contracts, envelopes and the small shared rules, without any database."""

from datetime import UTC, datetime

import pytest

from awardpath_award.decisions.policy import decision_outcome
from awardpath_shared.errors import DomainError
from awardpath_shared.events import EVENT_TYPES, AssessmentCompleted, SectionResult
from awardpath_shared.messaging.envelope import UnknownEventType, from_cloudevent, to_cloudevent
from awardpath_shared.pagination import decode_cursor, encode_cursor, fetch_page
from awardpath_shared.privacy import conflict_hash
from tests.support.refusals import refusal


def completed() -> AssessmentCompleted:
    return AssessmentCompleted(
        review_id="r-1",
        submission_id="s-1",
        attempt=2,
        micro_credential_id="mc-1",
        micro_credential_version=3,
        sections=[SectionResult(section_id="overview", level="proficient", feedback="Grounded in student voice.")],
        recommendation="award",
        completed_at=datetime(2026, 11, 24, 12, tzinfo=UTC),
    )


def test_an_event_survives_the_cloudevents_envelope():
    event = completed()
    cloudevent = to_cloudevent(event, event_id="e-1", source="/awardpath/assessment", time=event.completed_at)
    assert cloudevent.get_type() == "assessment.completed.v1"
    assert cloudevent.get_subject() == "s-1"  # the submission: also the partition key
    assert from_cloudevent(cloudevent) == event


def test_an_unknown_event_type_is_refused_not_guessed():
    cloudevent = to_cloudevent(completed(), event_id="e-2", source="/x", time=datetime.now(UTC))
    cloudevent.get_attributes()["type"] = "assessment.completed.v9"
    with pytest.raises(UnknownEventType):
        from_cloudevent(cloudevent)


# Past participles that do not end in -ed, used as event names.
IRREGULAR_PAST_PARTICIPLES = {"withdrawn"}


def test_every_event_type_is_versioned_and_named_noun_past_tense():
    for event_type, event_class in EVENT_TYPES.items():
        _noun, verb, version = event_type.rsplit(".", 2)
        assert version == f"v{event_class.event_version}", event_type
        assert verb.endswith("ed") or verb in IRREGULAR_PAST_PARTICIPLES, event_type
        assert event_class.topic.startswith("awardpath.")


def test_conflict_hashes_match_by_equality_only_with_the_same_key():
    assert conflict_hash("k", "District-7 ") == conflict_hash("k", "district-7")
    assert conflict_hash("k", "district-7") != conflict_hash("other", "district-7")
    assert "district" not in conflict_hash("k", "district-7")


@pytest.mark.parametrize(
    ("choice", "resubmission_allowed", "attempt", "max_attempts", "outcome"),
    [
        ("award", False, 1, 3, "awarded"),
        ("deny", True, 1, 3, "resubmission_open"),
        ("deny", True, 3, 3, "denied"),
        ("deny", False, 1, 3, "denied"),
    ],
)
def test_decision_outcomes(choice, resubmission_allowed, attempt, max_attempts, outcome):
    assert decision_outcome(choice, resubmission_allowed, attempt, max_attempts) == outcome


def test_cursors_round_trip_and_garbage_is_a_400():
    assert decode_cursor(encode_cursor("01a20d87-433f")) == "01a20d87-433f"
    for garbage in ("AA", "%%%", "////"):
        with pytest.raises(DomainError) as refused:
            decode_cursor(garbage)
        assert refusal(refused)[0] == 400


async def test_pages_follow_each_other_and_the_last_has_no_cursor():
    rows = [f"id-{n}" for n in range(5)]

    async def fetch(after, size):
        return [row for row in rows if after is None or row > after][:size]

    async def page(cursor, limit):
        found = await fetch_page(fetch, cursor=cursor, limit=limit, position=str)
        return found.items, found.next_cursor

    first, cursor = await page(None, 2)
    second, cursor = await page(cursor, 2)
    third, last = await page(cursor, 2)
    assert (first, second, third, last) == (["id-0", "id-1"], ["id-2", "id-3"], ["id-4"], None)
    exact, none_left = await page(None, 5)
    assert exact == rows and none_left is None
