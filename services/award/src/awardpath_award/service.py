"""Business rules of the issuer of record. Functions flush, never commit: the caller (a
request or an event handler) owns the transaction, and staged events commit with it."""

import logging
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from awardpath_award import repository
from awardpath_award.models import Award, Decision, Issuer, MicroCredential, MicroCredentialVersion, OutboxMessage
from awardpath_award.schemas import DecisionRequest, IssuerCreate, MicroCredentialDefinition
from awardpath_shared.auth import forbidden
from awardpath_shared.events import (
    AssessmentCompleted,
    AwardDecided,
    AwardGranted,
    DecisionOutcome,
    MicroCredentialPublished,
    SectionResult,
)
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.messaging.outbox import record_event
from awardpath_shared.pagination import fetch_page
from awardpath_shared.problems import conflict, not_found, unprocessable

logger = logging.getLogger(__name__)

DecidedBy = Literal["issuer", "policy"]


class UnknownMicroCredential(LookupError):
    """An event names a micro-credential version this catalog lacks; raised so it is retried."""


# ---- issuers ---------------------------------------------------------------------------


async def create_issuer(session: AsyncSession, data: IssuerCreate) -> Issuer:
    issuer = Issuer(id=new_id(), name=data.name, url=str(data.url), email=data.email, created_at=utcnow())
    session.add(issuer)
    await session.flush()
    return issuer


async def get_issuer(session: AsyncSession, issuer_id: str) -> Issuer:
    issuer = await repository.get_issuer(session, issuer_id)
    if issuer is None:
        raise not_found("issuer", issuer_id)
    return issuer


# ---- catalog ---------------------------------------------------------------------------


async def publish_micro_credential(
    session: AsyncSession, caller_issuer_id: str, definition: MicroCredentialDefinition
) -> MicroCredentialVersion:
    """Publish a new micro-credential as version 1."""
    await _ensure_may_publish_as(session, caller_issuer_id, definition.issuer_id)
    entry = MicroCredential(id=new_id(), issuer_id=definition.issuer_id, latest_version=0, created_at=utcnow())
    session.add(entry)
    return await _publish_version(session, entry, definition)


async def publish_new_version(
    session: AsyncSession, caller_issuer_id: str, micro_credential_id: str, definition: MicroCredentialDefinition
) -> MicroCredentialVersion:
    """Publish the next version of an existing micro-credential; earlier versions stay."""
    entry = await repository.get_micro_credential_for_update(session, micro_credential_id)
    if entry is None:
        raise not_found("micro-credential", micro_credential_id)
    if entry.issuer_id != caller_issuer_id:
        raise forbidden("only the micro-credential's issuer can publish a new version of it")
    await _ensure_may_publish_as(session, caller_issuer_id, definition.issuer_id)
    return await _publish_version(session, entry, definition)


async def _ensure_may_publish_as(session: AsyncSession, caller_issuer_id: str, issuer_id: str) -> None:
    if issuer_id != caller_issuer_id:
        raise forbidden("issuer_id must be the issuer the token was issued to")
    if await repository.get_issuer(session, issuer_id) is None:
        raise unprocessable("unknown-issuer", "Unknown issuer", f"no issuer with id {issuer_id!r}")


async def _publish_version(
    session: AsyncSession, entry: MicroCredential, definition: MicroCredentialDefinition
) -> MicroCredentialVersion:
    entry.latest_version += 1
    published = MicroCredentialVersion(
        micro_credential_id=entry.id,
        version=entry.latest_version,
        title=definition.title,
        competency=definition.competency,
        key_method=definition.key_method,
        max_attempts=definition.max_attempts,
        decision_policy=definition.decision_policy,
        sections=[section.model_dump(mode="json") for section in definition.sections],
        published_at=utcnow(),
    )
    published.micro_credential = entry
    session.add(published)
    record_event(
        session,
        OutboxMessage,
        MicroCredentialPublished(
            micro_credential_id=entry.id,
            version=published.version,
            issuer_id=entry.issuer_id,
            title=published.title,
            competency=published.competency,
            key_method=published.key_method,
            max_attempts=published.max_attempts,
            decision_policy=definition.decision_policy,
            sections=published.sections,
            published_at=published.published_at,
        ),
    )
    await session.flush()
    return published


async def get_micro_credential(
    session: AsyncSession, micro_credential_id: str, version: int | None = None
) -> MicroCredentialVersion:
    published = await repository.get_version(session, micro_credential_id, version)
    if published is None:
        what = "micro-credential" if version is None else f"micro-credential version {version}"
        raise not_found(what, micro_credential_id)
    return published


async def list_micro_credentials(
    session: AsyncSession, *, issuer_id: str | None, cursor: str | None, limit: int
) -> tuple[list[MicroCredentialVersion], str | None]:
    """The latest version of each micro-credential, oldest entry first."""
    return await fetch_page(
        lambda after, size: repository.list_latest_versions(session, issuer_id=issuer_id, after=after, limit=size),
        cursor=cursor,
        limit=limit,
        position=lambda item: item.micro_credential_id,
    )


# ---- decisions -------------------------------------------------------------------------


async def record_assessment(session: AsyncSession, event: AssessmentCompleted) -> None:
    """Open the issuer's decision on an assessed attempt; under the auto policy, decide it.

    Idempotent per (submission, attempt): a redelivered or re-sent assessment changes nothing.
    """
    if await _already_recorded(session, event):
        return
    definition = await repository.get_version(session, event.micro_credential_id, event.micro_credential_version)
    if definition is None:
        raise UnknownMicroCredential(
            f"{event.micro_credential_id} version {event.micro_credential_version} is not in the catalog"
        )
    decision = Decision(
        id=new_id(),
        review_id=event.review_id,
        submission_id=event.submission_id,
        attempt=event.attempt,
        micro_credential_id=event.micro_credential_id,
        micro_credential_version=event.micro_credential_version,
        issuer_id=definition.micro_credential.issuer_id,
        recommendation=event.recommendation,
        sections=[section.model_dump(mode="json") for section in event.sections],
        assessor_note=event.note_to_issuer,
        state="pending",
        resubmission_allowed=False,
        created_at=utcnow(),
    )
    decision.definition = definition
    if not await _insert_once(session, decision):
        logger.info("assessment of %s attempt %s was recorded concurrently", event.submission_id, event.attempt)
        return
    if definition.decision_policy == "auto":
        await _apply_decision(
            session,
            decision,
            choice="award" if event.recommendation == "award" else "deny",
            resubmission_allowed=event.recommendation == "resubmit",
            note=None,
            decided_by="policy",
        )


async def _already_recorded(session: AsyncSession, event: AssessmentCompleted) -> bool:
    existing = await repository.find_decision(session, event.submission_id, event.attempt)
    if existing is None:
        return False
    if existing.review_id != event.review_id:
        logger.warning(
            "ignoring review %s of %s attempt %s: review %s is already awaiting or has a decision",
            event.review_id,
            event.submission_id,
            event.attempt,
            existing.review_id,
        )
    return True


async def _insert_once(session: AsyncSession, decision: Decision) -> bool:
    """Insert under a savepoint: losing the race on (submission, attempt) is not an error."""
    try:
        async with session.begin_nested():
            session.add(decision)
    except IntegrityError:
        return False
    return True


async def list_decisions(
    session: AsyncSession, caller_issuer_id: str, *, state: str | None, cursor: str | None, limit: int
) -> tuple[list[Decision], str | None]:
    return await fetch_page(
        lambda after, size: repository.list_decisions(
            session, issuer_id=caller_issuer_id, state=state, after=after, limit=size
        ),
        cursor=cursor,
        limit=limit,
        position=lambda decision: decision.id,
    )


async def get_decision(session: AsyncSession, caller_issuer_id: str, decision_id: str) -> Decision:
    decision = await repository.get_decision(session, decision_id)
    return _owned_by(caller_issuer_id, decision, decision_id)


async def decide(session: AsyncSession, caller_issuer_id: str, decision_id: str, request: DecisionRequest) -> Decision:
    """The issuer decides a pending decision; a decision is made once."""
    decision = _owned_by(
        caller_issuer_id, await repository.get_decision(session, decision_id, for_update=True), decision_id
    )
    if decision.state == "decided":
        raise conflict(
            "decision-already-made",
            "Decision already made",
            f"decision {decision_id!r} was already decided: {decision.outcome}",
        )
    await _apply_decision(
        session,
        decision,
        choice=request.decision,
        resubmission_allowed=request.resubmission_allowed,
        note=request.note,
        decided_by="issuer",
    )
    return decision


def _owned_by(caller_issuer_id: str, decision: Decision | None, decision_id: str) -> Decision:
    if decision is None:
        raise not_found("decision", decision_id)
    if decision.issuer_id != caller_issuer_id:
        raise forbidden("this decision is on another issuer's micro-credential")
    return decision


async def _apply_decision(
    session: AsyncSession,
    decision: Decision,
    *,
    choice: Literal["award", "deny"],
    resubmission_allowed: bool,
    note: str | None,
    decided_by: DecidedBy,
) -> None:
    """Decide a pending decision (for the issuer and for the auto policy alike) and stage
    `award.decided`, plus `award.granted` with the new award when it is awarded."""
    max_attempts = decision.definition.max_attempts
    outcome = decision_outcome(choice, resubmission_allowed, decision.attempt, max_attempts)
    if choice == "deny" and resubmission_allowed and outcome == "denied":
        note = _joined(note, f"Resubmission is not open: attempt {decision.attempt} was the last of {max_attempts}.")
    decision.state = "decided"
    decision.decision = choice
    decision.resubmission_allowed = outcome == "resubmission_open"
    decision.outcome = outcome
    decision.note = note
    decision.decided_by = decided_by
    decision.decided_at = utcnow()
    award = await _grant_award(session, decision) if outcome == "awarded" else None
    decision.award_id = award.id if award else None
    record_event(
        session,
        OutboxMessage,
        AwardDecided(
            decision_id=decision.id,
            submission_id=decision.submission_id,
            attempt=decision.attempt,
            micro_credential_id=decision.micro_credential_id,
            outcome=outcome,
            note=note,
            decided_by=decided_by,
            award_id=decision.award_id,
            decided_at=decision.decided_at,
        ),
    )
    if award is not None:
        record_event(session, OutboxMessage, _granted(award))
    await session.flush()


def decision_outcome(
    choice: Literal["award", "deny"], resubmission_allowed: bool, attempt: int, max_attempts: int
) -> DecisionOutcome:
    if choice == "award":
        return "awarded"
    if resubmission_allowed and attempt < max_attempts:
        return "resubmission_open"
    return "denied"


def _joined(note: str | None, addition: str) -> str:
    return f"{note}\n{addition}" if note else addition


async def _grant_award(session: AsyncSession, decision: Decision) -> Award:
    # One award per submission: the unique constraint backs this check up.
    if await repository.award_exists_for(session, decision.submission_id):
        raise conflict(
            "already-awarded",
            "Submission already awarded",
            f"submission {decision.submission_id!r} already has an award",
        )
    award = Award(
        id=new_id(),
        decision_id=decision.id,
        submission_id=decision.submission_id,
        attempt=decision.attempt,
        micro_credential_id=decision.micro_credential_id,
        micro_credential_version=decision.micro_credential_version,
        issuer_id=decision.issuer_id,
        results=decision.sections,
        awarded_at=decision.decided_at,
    )
    session.add(award)
    return award


def _granted(award: Award) -> AwardGranted:
    return AwardGranted(
        award_id=award.id,
        submission_id=award.submission_id,
        attempt=award.attempt,
        micro_credential_id=award.micro_credential_id,
        micro_credential_version=award.micro_credential_version,
        issuer_id=award.issuer_id,
        results=[SectionResult.model_validate(result) for result in award.results],
        awarded_at=award.awarded_at,
    )
