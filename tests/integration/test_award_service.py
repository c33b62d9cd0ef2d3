"""The award service's rules on a migrated database (both backends): publishing the catalog,
recording assessments, the issuer's decisions and the auto policy."""

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import service
from awardpath_award.models import Award, Decision, Issuer, MicroCredentialVersion, OutboxMessage
from awardpath_award.schemas import DecisionRequest, IssuerCreate, MicroCredentialDefinition
from awardpath_shared.events import (
    AssessmentCompleted,
    AwardDecided,
    AwardGranted,
    Event,
    MicroCredentialPublished,
    SectionResult,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.problems import Problem


async def an_issuer(session: AsyncSession, name: str = "Center for Educator Growth") -> Issuer:
    return await service.create_issuer(
        session, IssuerCreate(name=name, url="https://growth.example.org", email="badges@growth.example.org")
    )


def a_definition(issuer_id: str, **overrides: Any) -> MicroCredentialDefinition:
    fields = {
        "title": "Belonging and Caring Classroom Climate",
        "competency": "The educator creates a classroom climate where students feel they belong.",
        "key_method": "Student check-in circles",
        "issuer_id": issuer_id,
        "max_attempts": 3,
        "decision_policy": "manual",
        "sections": [
            {
                "id": "overview",
                "title": "Overview questions",
                "prompt": "Describe your classroom.",
                "levels": [{"id": "not_yet", "name": "Not yet"}, {"id": "proficient", "name": "Proficient"}],
                "passing_level": "proficient",
            }
        ],
    }
    return MicroCredentialDefinition.model_validate(fields | overrides)


async def a_micro_credential(session: AsyncSession, **overrides: Any) -> MicroCredentialVersion:
    issuer = await an_issuer(session)
    return await service.publish_micro_credential(session, issuer.id, a_definition(issuer.id, **overrides))


def an_assessment(
    published: MicroCredentialVersion,
    *,
    attempt: int = 1,
    recommendation: str = "award",
    submission_id: str | None = None,
) -> AssessmentCompleted:
    return AssessmentCompleted(
        review_id=new_id(),
        submission_id=submission_id or new_id(),
        attempt=attempt,
        micro_credential_id=published.micro_credential_id,
        micro_credential_version=published.version,
        sections=[SectionResult(section_id="overview", level="proficient", feedback="Clear routines.")],
        recommendation=recommendation,
        completed_at=utcnow(),
    )


async def staged(session: AsyncSession, event_class: type[Event]) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(OutboxMessage.payload)
        .where(OutboxMessage.event_type == event_class.event_type())
        .order_by(OutboxMessage.id)
    )
    return list(rows)


async def decision_for(session: AsyncSession, event: AssessmentCompleted) -> Decision:
    decision = await session.scalar(
        select(Decision).where(Decision.submission_id == event.submission_id, Decision.attempt == event.attempt)
    )
    assert decision is not None
    return await service.get_decision(session, decision.issuer_id, decision.id)


async def count(session: AsyncSession, model: type, **where: Any) -> int:
    query = select(func.count()).select_from(model).filter_by(**where)
    return await session.scalar(query)


# ---- catalog ---------------------------------------------------------------------------


async def test_publishing_records_version_one_and_stages_the_event(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, decision_policy="auto")

    assert published.version == 1
    [event] = await staged(award_session, MicroCredentialPublished)
    assert event["micro_credential_id"] == published.micro_credential_id
    assert event["version"] == 1
    assert event["decision_policy"] == "auto"
    assert event["sections"][0]["passing_level"] == "proficient"
    read_back = await service.get_micro_credential(award_session, published.micro_credential_id)
    assert read_back.title == published.title


@pytest.mark.parametrize(
    "overrides",
    [
        {"sections": []},
        {"max_attempts": 0},
        {"max_attempts": 11},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "nul\x00byte"},
        {"decision_policy": "sometimes"},
        {
            "sections": [
                {"id": "a", "title": "A", "prompt": "p", "passing_level": "ok", "levels": [{"id": "ok", "name": "OK"}]}
            ]
        },
        {
            "sections": [
                {
                    "id": "a",
                    "title": "A",
                    "prompt": "p",
                    "passing_level": "ok",
                    "levels": [{"id": "ok", "name": "OK"}, {"id": "ok", "name": "Again"}],
                }
            ]
        },
        {
            "sections": [
                {
                    "id": "a",
                    "title": "A",
                    "prompt": "p",
                    "passing_level": "great",
                    "levels": [{"id": "no", "name": "No"}, {"id": "ok", "name": "OK"}],
                }
            ]
        },
        {
            "sections": [
                {
                    "id": "a",
                    "title": "A",
                    "prompt": "p",
                    "passing_level": "ok",
                    "levels": [{"id": "no", "name": "No"}, {"id": "ok", "name": "OK"}],
                }
            ]
            * 2
        },
        {
            "sections": [
                {
                    "id": "a b",
                    "title": "A",
                    "prompt": "p",
                    "passing_level": "ok",
                    "levels": [{"id": "no", "name": "No"}, {"id": "ok", "name": "OK"}],
                }
            ]
        },
    ],
    ids=[
        "no-sections",
        "zero-attempts",
        "eleven-attempts",
        "blank-title",
        "long-title",
        "nul-in-title",
        "unknown-policy",
        "one-level",
        "duplicate-levels",
        "passing-level-not-a-level",
        "duplicate-sections",
        "section-id-with-space",
    ],
)
def test_an_invalid_definition_is_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        a_definition(new_id(), **overrides)


async def test_only_the_issuer_itself_publishes_and_it_must_exist(award_session: AsyncSession) -> None:
    issuer = await an_issuer(award_session)
    other = await an_issuer(award_session, name="Other issuer")

    with pytest.raises(Problem) as refused:
        await service.publish_micro_credential(award_session, other.id, a_definition(issuer.id))
    assert refused.value.status == 403

    unknown_issuer_id = new_id()
    with pytest.raises(Problem) as unknown:
        await service.publish_micro_credential(award_session, unknown_issuer_id, a_definition(unknown_issuer_id))
    assert (unknown.value.status, unknown.value.slug) == (422, "unknown-issuer")
    assert await staged(award_session, MicroCredentialPublished) == []


async def test_a_new_version_is_published_and_the_old_one_kept(award_session: AsyncSession) -> None:
    first = await a_micro_credential(award_session, title="Climate")
    issuer_id = first.micro_credential.issuer_id

    second = await service.publish_new_version(
        award_session, issuer_id, first.micro_credential_id, a_definition(issuer_id, title="Climate, revised")
    )

    assert second.version == 2
    latest = await service.get_micro_credential(award_session, first.micro_credential_id)
    assert (latest.version, latest.title) == (2, "Climate, revised")
    original = await service.get_micro_credential(award_session, first.micro_credential_id, version=1)
    assert (original.version, original.title) == (1, "Climate")
    listed, _ = await service.list_micro_credentials(award_session, issuer_id=issuer_id, cursor=None, limit=50)
    assert [(item.micro_credential_id, item.version) for item in listed] == [(first.micro_credential_id, 2)]
    assert [event["version"] for event in await staged(award_session, MicroCredentialPublished)] == [1, 2]


async def test_another_issuer_cannot_publish_a_version(award_session: AsyncSession) -> None:
    first = await a_micro_credential(award_session)
    other = await an_issuer(award_session, name="Other issuer")

    with pytest.raises(Problem) as refused:
        await service.publish_new_version(award_session, other.id, first.micro_credential_id, a_definition(other.id))
    assert refused.value.status == 403


async def test_the_catalog_pages_with_an_opaque_cursor(award_session: AsyncSession) -> None:
    issuer = await an_issuer(award_session)
    for title in ("One", "Two", "Three"):
        await service.publish_micro_credential(award_session, issuer.id, a_definition(issuer.id, title=title))

    first_page, cursor = await service.list_micro_credentials(award_session, issuer_id=issuer.id, cursor=None, limit=2)
    second_page, last = await service.list_micro_credentials(award_session, issuer_id=issuer.id, cursor=cursor, limit=2)

    assert [item.title for item in first_page + second_page] == ["One", "Two", "Three"]
    assert last is None
    with pytest.raises(Problem) as invalid:
        await service.list_micro_credentials(award_session, issuer_id=None, cursor="AA", limit=2)
    assert invalid.value.status == 400


# ---- recording assessments and the auto policy -----------------------------------------


async def test_under_the_manual_policy_the_decision_waits(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, decision_policy="manual")
    assessment = an_assessment(published)

    await service.record_assessment(award_session, assessment)

    decision = await decision_for(award_session, assessment)
    assert (decision.state, decision.outcome, decision.recommendation) == ("pending", None, "award")
    assert decision.sections == [{"section_id": "overview", "level": "proficient", "feedback": "Clear routines."}]
    queue, _ = await service.list_decisions(award_session, decision.issuer_id, state="pending", cursor=None, limit=50)
    assert [item.id for item in queue] == [decision.id]
    assert await staged(award_session, AwardDecided) == []


async def test_the_auto_policy_awards_a_recommended_award_at_once(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, decision_policy="auto")
    assessment = an_assessment(published, recommendation="award")

    await service.record_assessment(award_session, assessment)

    decision = await decision_for(award_session, assessment)
    assert (decision.state, decision.decision, decision.outcome, decision.decided_by) == (
        "decided",
        "award",
        "awarded",
        "policy",
    )
    award = await award_session.get(Award, decision.award_id)
    assert award is not None and award.submission_id == assessment.submission_id
    [decided] = await staged(award_session, AwardDecided)
    assert (decided["outcome"], decided["decided_by"], decided["award_id"]) == ("awarded", "policy", award.id)
    [granted] = await staged(award_session, AwardGranted)
    assert granted["results"] == decision.sections
    assert granted["issuer_id"] == decision.issuer_id


async def test_the_auto_policy_opens_resubmission_on_a_resubmit(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, decision_policy="auto", max_attempts=3)
    assessment = an_assessment(published, recommendation="resubmit", attempt=1)

    await service.record_assessment(award_session, assessment)

    decision = await decision_for(award_session, assessment)
    assert (decision.decision, decision.resubmission_allowed, decision.outcome) == ("deny", True, "resubmission_open")
    assert decision.award_id is None
    [decided] = await staged(award_session, AwardDecided)
    assert decided["outcome"] == "resubmission_open"
    assert await staged(award_session, AwardGranted) == []


async def test_a_redelivered_assessment_records_one_decision(
    award_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = await a_micro_credential(award_session, decision_policy="auto")
    assessment = an_assessment(published)
    resent = assessment.model_copy(update={"review_id": new_id()})

    await service.record_assessment(award_session, assessment)
    await service.record_assessment(award_session, assessment)
    await service.record_assessment(award_session, resent)

    # A concurrent delivery that passed the lookup still meets the unique constraint.
    async def not_yet_recorded(*_args: Any) -> bool:
        return False

    monkeypatch.setattr(service, "_already_recorded", not_yet_recorded)
    await service.record_assessment(award_session, resent)

    assert await count(award_session, Decision, submission_id=assessment.submission_id) == 1
    assert await count(award_session, Award, submission_id=assessment.submission_id) == 1
    assert len(await staged(award_session, AwardDecided)) == 1


async def test_an_assessment_of_an_unknown_micro_credential_is_retried(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session)
    unknown = an_assessment(published).model_copy(update={"micro_credential_version": 7})

    with pytest.raises(service.UnknownMicroCredential):
        await service.record_assessment(award_session, unknown)


# ---- the issuer's decisions ------------------------------------------------------------


async def test_the_issuer_awards_once_and_a_second_decision_is_refused(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session)
    assessment = an_assessment(published)
    await service.record_assessment(award_session, assessment)
    pending = await decision_for(award_session, assessment)

    decided = await service.decide(
        award_session, pending.issuer_id, pending.id, DecisionRequest(decision="award", note="Well done.")
    )

    assert (decided.outcome, decided.decided_by, decided.note) == ("awarded", "issuer", "Well done.")
    [granted] = await staged(award_session, AwardGranted)
    assert granted["award_id"] == decided.award_id
    with pytest.raises(Problem) as refused:
        await service.decide(award_session, pending.issuer_id, pending.id, DecisionRequest(decision="deny"))
    assert (refused.value.status, refused.value.slug) == (409, "decision-already-made")
    assert len(await staged(award_session, AwardDecided)) == 1


async def test_a_deny_with_resubmission_on_the_last_attempt_is_final(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, max_attempts=2)
    assessment = an_assessment(published, attempt=2, recommendation="resubmit")
    await service.record_assessment(award_session, assessment)
    pending = await decision_for(award_session, assessment)

    decided = await service.decide(
        award_session,
        pending.issuer_id,
        pending.id,
        DecisionRequest(decision="deny", resubmission_allowed=True, note="Not yet."),
    )

    assert (decided.outcome, decided.resubmission_allowed) == ("denied", False)
    assert decided.note.startswith("Not yet.") and "last of 2" in decided.note
    [event] = await staged(award_session, AwardDecided)
    assert (event["outcome"], event["note"]) == ("denied", decided.note)


async def test_a_deny_with_resubmission_before_the_last_attempt_opens_it(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session, max_attempts=2)
    assessment = an_assessment(published, attempt=1, recommendation="resubmit")
    await service.record_assessment(award_session, assessment)
    pending = await decision_for(award_session, assessment)

    decided = await service.decide(
        award_session, pending.issuer_id, pending.id, DecisionRequest(decision="deny", resubmission_allowed=True)
    )

    assert (decided.outcome, decided.resubmission_allowed, decided.note) == ("resubmission_open", True, None)


async def test_an_issuer_cannot_see_or_decide_another_issuers_decision(award_session: AsyncSession) -> None:
    published = await a_micro_credential(award_session)
    assessment = an_assessment(published)
    await service.record_assessment(award_session, assessment)
    pending = await decision_for(award_session, assessment)
    other = await an_issuer(award_session, name="Other issuer")

    with pytest.raises(Problem) as hidden:
        await service.get_decision(award_session, other.id, pending.id)
    assert hidden.value.status == 403
    with pytest.raises(Problem) as refused:
        await service.decide(award_session, other.id, pending.id, DecisionRequest(decision="award"))
    assert refused.value.status == 403
    queue, _ = await service.list_decisions(award_session, other.id, state=None, cursor=None, limit=50)
    assert queue == []
    assert (await decision_for(award_session, assessment)).state == "pending"


def test_resubmission_is_only_asked_with_a_deny() -> None:
    with pytest.raises(ValidationError):
        DecisionRequest(decision="award", resubmission_allowed=True)
