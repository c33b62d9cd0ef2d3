"""The award service's rules on a migrated database (both backends): publishing the catalog,
recording assessments, the issuer's decisions and the auto policy."""

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award.catalog.schemas import MicroCredentialView
from awardpath_award.catalog.service import CatalogService
from awardpath_award.decisions.schemas import DecisionRequest
from awardpath_award.decisions.service import DecisionService, UnknownMicroCredential
from awardpath_award.models import Award, Decision
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import DomainError
from awardpath_shared.events import AssessmentCompleted, AwardDecided, AwardGranted, MicroCredentialPublished
from awardpath_shared.ids import new_id
from awardpath_shared.rubrics import SectionResult
from tests.support.award import a_definition, a_micro_credential, an_assessment, an_issuer
from tests.support.outbox import staged
from tests.support.refusals import refusal


@pytest.fixture
def uow(award_session: AsyncSession) -> AwardUnitOfWork:
    return AwardUnitOfWork(award_session)


@pytest.fixture
def catalog(uow: AwardUnitOfWork) -> CatalogService:
    return CatalogService(uow)


@pytest.fixture
def decisions(uow: AwardUnitOfWork) -> DecisionService:
    return DecisionService(uow)


async def decision_for(uow: AwardUnitOfWork, event: AssessmentCompleted) -> Decision:
    decision = await uow.session.scalar(
        select(Decision).where(Decision.submission_id == event.submission_id, Decision.attempt == event.attempt)
    )
    assert decision is not None
    return await DecisionService(uow).get(decision.issuer_id, decision.id)


async def count(uow: AwardUnitOfWork, model: type, **where: Any) -> int:
    query = select(func.count()).select_from(model).filter_by(**where)
    return await uow.session.scalar(query)


# ---- catalog ---------------------------------------------------------------------------


async def test_publishing_records_version_one_and_stages_the_event(uow, catalog) -> None:
    published = await a_micro_credential(uow, decision_policy="auto")

    assert published.version == 1
    [event] = await staged(uow, MicroCredentialPublished)
    assert event["micro_credential_id"] == published.micro_credential_id
    assert event["version"] == 1
    assert event["decision_policy"] == "auto"
    assert event["sections"][0]["passing_level"] == "proficient"
    read_back = await catalog.get(published.micro_credential_id)
    assert read_back.title == published.title
    assert (event["turnaround_business_days"], read_back.turnaround_business_days) == (14, 14)  # the default


async def test_a_definitions_turnaround_target_is_kept_per_version_and_published(uow, catalog) -> None:
    first = await a_micro_credential(uow, turnaround_business_days=5)
    issuer_id = first.micro_credential.issuer_id
    await catalog.publish_version(issuer_id, first.micro_credential_id, a_definition(issuer_id))

    view = MicroCredentialView.model_validate(await catalog.get(first.micro_credential_id, version=1))
    assert view.turnaround_business_days == 5
    assert (await catalog.get(first.micro_credential_id)).turnaround_business_days == 14
    events = await staged(uow, MicroCredentialPublished)
    assert [(e["version"], e["turnaround_business_days"]) for e in events] == [(1, 5), (2, 14)]


@pytest.mark.parametrize(
    "overrides",
    [
        {"sections": []},
        {"max_attempts": 0},
        {"max_attempts": 11},
        {"title": "   "},
        {"title": "x" * 201},
        {"decision_policy": "sometimes"},
        {"turnaround_business_days": 0},
        {"turnaround_business_days": 61},
        {"turnaround_business_days": "5"},
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
        "unknown-policy",
        "zero-turnaround",
        "turnaround-beyond-sixty-days",
        "turnaround-as-text",
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


async def test_only_the_issuer_itself_publishes_and_it_must_exist(uow, catalog) -> None:
    issuer = await an_issuer(uow)
    other = await an_issuer(uow, name="Other issuer")

    with pytest.raises(DomainError) as refused:
        await catalog.publish(other.id, a_definition(issuer.id))
    assert refusal(refused)[0] == 403

    unknown_issuer_id = new_id()
    with pytest.raises(DomainError) as unknown:
        await catalog.publish(unknown_issuer_id, a_definition(unknown_issuer_id))
    assert refusal(unknown) == (422, "unknown-issuer")
    assert await staged(uow, MicroCredentialPublished) == []


async def test_a_new_version_is_published_and_the_old_one_kept(uow, catalog) -> None:
    first = await a_micro_credential(uow, title="Climate")
    issuer_id = first.micro_credential.issuer_id

    second = await catalog.publish_version(
        issuer_id, first.micro_credential_id, a_definition(issuer_id, title="Climate, revised")
    )

    assert second.version == 2
    latest = await catalog.get(first.micro_credential_id)
    assert (latest.version, latest.title) == (2, "Climate, revised")
    original = await catalog.get(first.micro_credential_id, version=1)
    assert (original.version, original.title) == (1, "Climate")
    listed = (await catalog.list_latest(issuer_id=issuer_id, cursor=None, limit=50)).items
    assert [(item.micro_credential_id, item.version) for item in listed] == [(first.micro_credential_id, 2)]
    assert [event["version"] for event in await staged(uow, MicroCredentialPublished)] == [1, 2]


async def test_another_issuer_cannot_publish_a_version(uow, catalog) -> None:
    first = await a_micro_credential(uow)
    other = await an_issuer(uow, name="Other issuer")

    with pytest.raises(DomainError) as refused:
        await catalog.publish_version(other.id, first.micro_credential_id, a_definition(other.id))
    assert refusal(refused)[0] == 403


async def test_the_catalog_pages_with_an_opaque_cursor(uow, catalog) -> None:
    issuer = await an_issuer(uow)
    for title in ("One", "Two", "Three"):
        await catalog.publish(issuer.id, a_definition(issuer.id, title=title))

    first = await catalog.list_latest(issuer_id=issuer.id, cursor=None, limit=2)
    second = await catalog.list_latest(issuer_id=issuer.id, cursor=first.next_cursor, limit=2)
    first_page, second_page, last = first.items, second.items, second.next_cursor

    assert [item.title for item in first_page + second_page] == ["One", "Two", "Three"]
    assert last is None
    with pytest.raises(DomainError) as invalid:
        await catalog.list_latest(issuer_id=None, cursor="AA", limit=2)
    assert refusal(invalid)[0] == 400


# ---- recording assessments and the auto policy -----------------------------------------


async def test_under_the_manual_policy_the_decision_waits(uow, decisions) -> None:
    published = await a_micro_credential(uow, decision_policy="manual")
    assessment = an_assessment(published)

    await decisions.record_assessment(assessment)

    decision = await decision_for(uow, assessment)
    assert (decision.state, decision.outcome, decision.recommendation) == ("pending", None, "award")
    assert decision.sections == [SectionResult(section_id="overview", level="proficient", feedback="Clear routines.")]
    queue = (await decisions.list_decisions(decision.issuer_id, state="pending", cursor=None, limit=50)).items
    assert [item.id for item in queue] == [decision.id]
    assert await staged(uow, AwardDecided) == []


async def test_the_auto_policy_awards_a_recommended_award_at_once(uow, decisions) -> None:
    published = await a_micro_credential(uow, decision_policy="auto")
    assessment = an_assessment(published, recommendation="award")

    await decisions.record_assessment(assessment)

    decision = await decision_for(uow, assessment)
    assert (decision.state, decision.decision, decision.outcome, decision.decided_by) == (
        "decided",
        "award",
        "awarded",
        "policy",
    )
    award = await uow.session.get(Award, decision.award_id)
    assert award is not None and award.submission_id == assessment.submission_id
    [decided] = await staged(uow, AwardDecided)
    assert (decided["outcome"], decided["decided_by"], decided["award_id"]) == ("awarded", "policy", award.id)
    [granted] = await staged(uow, AwardGranted)
    assert granted["results"] == [{"section_id": "overview", "level": "proficient", "feedback": "Clear routines."}]
    assert granted["issuer_id"] == decision.issuer_id


async def test_the_auto_policy_opens_resubmission_on_a_resubmit(uow, decisions) -> None:
    published = await a_micro_credential(uow, decision_policy="auto", max_attempts=3)
    assessment = an_assessment(published, recommendation="resubmit", attempt=1)

    await decisions.record_assessment(assessment)

    decision = await decision_for(uow, assessment)
    assert (decision.decision, decision.resubmission_allowed, decision.outcome) == ("deny", True, "resubmission_open")
    assert decision.award_id is None
    [decided] = await staged(uow, AwardDecided)
    assert decided["outcome"] == "resubmission_open"
    assert await staged(uow, AwardGranted) == []


async def test_a_redelivered_assessment_records_one_decision(uow, decisions, monkeypatch: pytest.MonkeyPatch) -> None:
    published = await a_micro_credential(uow, decision_policy="auto")
    assessment = an_assessment(published)
    resent = assessment.model_copy(update={"review_id": new_id()})

    await decisions.record_assessment(assessment)
    await decisions.record_assessment(assessment)
    await decisions.record_assessment(resent)

    # A concurrent delivery that passed the lookup still meets the unique constraint.
    async def not_yet_recorded(*_args: Any) -> None:
        return None

    monkeypatch.setattr(uow.decisions, "for_attempt", not_yet_recorded)
    await decisions.record_assessment(resent)

    assert await count(uow, Decision, submission_id=assessment.submission_id) == 1
    assert await count(uow, Award, submission_id=assessment.submission_id) == 1
    assert len(await staged(uow, AwardDecided)) == 1


async def test_an_assessment_of_an_unknown_micro_credential_is_retried(uow, decisions) -> None:
    published = await a_micro_credential(uow)
    unknown = an_assessment(published).model_copy(update={"micro_credential_version": 7})

    with pytest.raises(UnknownMicroCredential):
        await decisions.record_assessment(unknown)


# ---- the issuer's decisions ------------------------------------------------------------


async def test_the_issuer_awards_once_and_a_second_decision_is_refused(uow, decisions) -> None:
    published = await a_micro_credential(uow)
    assessment = an_assessment(published)
    await decisions.record_assessment(assessment)
    pending = await decision_for(uow, assessment)

    decided = await decisions.decide(
        pending.issuer_id, pending.id, DecisionRequest(decision="award", note="Well done.")
    )

    assert (decided.outcome, decided.decided_by, decided.note) == ("awarded", "issuer", "Well done.")
    [granted] = await staged(uow, AwardGranted)
    assert granted["award_id"] == decided.award_id
    with pytest.raises(DomainError) as refused:
        await decisions.decide(pending.issuer_id, pending.id, DecisionRequest(decision="deny"))
    assert refusal(refused) == (409, "decision-already-made")
    assert len(await staged(uow, AwardDecided)) == 1


async def test_a_deny_with_resubmission_on_the_last_attempt_is_final(uow, decisions) -> None:
    published = await a_micro_credential(uow, max_attempts=2)
    assessment = an_assessment(published, attempt=2, recommendation="resubmit")
    await decisions.record_assessment(assessment)
    pending = await decision_for(uow, assessment)

    decided = await decisions.decide(
        pending.issuer_id,
        pending.id,
        DecisionRequest(decision="deny", resubmission_allowed=True, note="Not yet."),
    )

    assert (decided.outcome, decided.resubmission_allowed) == ("denied", False)
    assert decided.note.startswith("Not yet.") and "last of 2" in decided.note
    [event] = await staged(uow, AwardDecided)
    assert (event["outcome"], event["note"]) == ("denied", decided.note)


async def test_a_deny_with_resubmission_before_the_last_attempt_opens_it(uow, decisions) -> None:
    published = await a_micro_credential(uow, max_attempts=2)
    assessment = an_assessment(published, attempt=1, recommendation="resubmit")
    await decisions.record_assessment(assessment)
    pending = await decision_for(uow, assessment)

    decided = await decisions.decide(
        pending.issuer_id, pending.id, DecisionRequest(decision="deny", resubmission_allowed=True)
    )

    assert (decided.outcome, decided.resubmission_allowed, decided.note) == ("resubmission_open", True, None)


async def test_an_issuer_cannot_see_or_decide_another_issuers_decision(uow, decisions) -> None:
    published = await a_micro_credential(uow)
    assessment = an_assessment(published)
    await decisions.record_assessment(assessment)
    pending = await decision_for(uow, assessment)
    other = await an_issuer(uow, name="Other issuer")

    with pytest.raises(DomainError) as hidden:
        await decisions.get(other.id, pending.id)
    assert refusal(hidden)[0] == 403
    with pytest.raises(DomainError) as refused:
        await decisions.decide(other.id, pending.id, DecisionRequest(decision="award"))
    assert refusal(refused)[0] == 403
    queue = (await decisions.list_decisions(other.id, state=None, cursor=None, limit=50)).items
    assert queue == []
    assert (await decision_for(uow, assessment)).state == "pending"


def test_resubmission_is_only_asked_with_a_deny() -> None:
    with pytest.raises(ValidationError):
        DecisionRequest(decision="award", resubmission_allowed=True)
