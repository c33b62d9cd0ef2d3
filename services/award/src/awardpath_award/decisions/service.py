"""Decisions of the issuer of record: each assessed attempt opens one; the issuer decides it,
or its auto policy does at once. An award is granted with an awarded decision. A withdrawal
of the submission cancels a pending decision."""

import logging

from awardpath_award.decisions.models import Award, Decision, DecisionState, Withdrawal
from awardpath_award.decisions.policy import Choice, auto_policy_choice
from awardpath_award.decisions.schemas import DecisionRequest
from awardpath_award.uow import AwardUnitOfWork
from awardpath_shared.errors import Conflict, Forbidden, NotFound
from awardpath_shared.events import AssessmentCompleted, AwardDecided, AwardGranted, SubmissionWithdrawn
from awardpath_shared.ids import new_id, utcnow
from awardpath_shared.pagination import Paged, fetch_page
from awardpath_shared.rubrics import FileRef
from awardpath_shared.vocabulary import DecidedBy, DecisionOutcome, DecisionPolicy

logger = logging.getLogger(__name__)


class UnknownMicroCredential(LookupError):
    """An event names a micro-credential version this catalog lacks: raised so it is tried
    again, and dead-lettered for an operator to replay if the version never appears."""


class DecisionService:
    def __init__(self, uow: AwardUnitOfWork) -> None:
        self.uow = uow

    async def record_assessment(self, event: AssessmentCompleted) -> None:
        """Open the issuer's decision on an assessed attempt; under the auto policy, decide it.

        Idempotent per (submission, attempt): a redelivered or re-sent assessment changes nothing.
        A withdrawn submission's assessment (it crossed the withdrawal) opens none."""
        await self.uow.lock_submission(event.submission_id)
        if await self._already_recorded(event):
            return
        if await self.uow.decisions.withdrawal(event.submission_id) is not None:
            logger.info(
                "no decision on %s attempt %s: the submission was withdrawn", event.submission_id, event.attempt
            )
            return
        definition = await self.uow.catalog.version(event.micro_credential_id, event.micro_credential_version)
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
            issuer_id=definition.issuer_id,
            recommendation=event.recommendation,
            sections=event.sections,
            assessor_note=event.note_to_issuer,
            files=event.files,
            state=DecisionState.PENDING,
            resubmission_allowed=False,
            created_at=utcnow(),
        )
        decision.definition = definition
        if not await self.uow.decisions.add_once(decision):
            logger.info("assessment of %s attempt %s was recorded concurrently", event.submission_id, event.attempt)
            return
        if definition.decision_policy == DecisionPolicy.AUTO:
            await self._decide(decision, auto_policy_choice(event.recommendation), DecidedBy.POLICY)

    async def record_withdrawal(self, event: SubmissionWithdrawn) -> None:
        """The platform withdrew the submission: its pending decision is cancelled (deciding
        it is a 409), and an assessment arriving later opens none. Once per submission."""
        await self.uow.lock_submission(event.submission_id)
        if await self.uow.decisions.withdrawal(event.submission_id) is not None:
            return
        self.uow.decisions.add(Withdrawal(submission_id=event.submission_id, withdrawn_at=event.withdrawn_at))
        now = utcnow()
        for decision in await self.uow.decisions.pending_for(event.submission_id):
            decision.cancel(now)
        await self.uow.flush()

    async def list_decisions(
        self,
        caller_issuer_id: str,
        *,
        state: DecisionState | None,
        cursor: str | None,
        limit: int,
        submission_id: str | None = None,
    ) -> Paged[Decision]:
        """Decisions on the caller's micro-credentials, oldest first."""
        return await fetch_page(
            lambda after, size: self.uow.decisions.of_issuer(
                caller_issuer_id, state=state, submission_id=submission_id, after=after, limit=size
            ),
            cursor=cursor,
            limit=limit,
            position=lambda decision: decision.id,
        )

    async def get(self, caller_issuer_id: str, decision_id: str) -> Decision:
        return _owned_by(caller_issuer_id, decision_id, await self.uow.decisions.get(decision_id))

    async def evidence_file(self, caller_issuer_id: str, decision_id: str, file_id: str) -> FileRef:
        """A file of the decided attempt's evidence, for the issuer deciding."""
        decision = await self.get(caller_issuer_id, decision_id)
        ref = next((ref for ref in decision.files if ref.file_id == file_id), None)
        if ref is None:
            raise NotFound("file", file_id)
        return ref

    async def decide(self, caller_issuer_id: str, decision_id: str, request: DecisionRequest) -> Decision:
        """The issuer decides a pending decision; a decision is made once."""
        decision = _owned_by(caller_issuer_id, decision_id, await self.uow.decisions.get(decision_id, for_update=True))
        choice = Choice(request.decision, resubmission_allowed=request.resubmission_allowed, note=request.note)
        await self._decide(decision, choice, DecidedBy.ISSUER)
        return decision

    async def _already_recorded(self, event: AssessmentCompleted) -> bool:
        existing = await self.uow.decisions.for_attempt(event.submission_id, event.attempt)
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

    async def _decide(self, decision: Decision, choice: Choice, decided_by: DecidedBy) -> None:
        """Decide (for the issuer and for the auto policy alike) and stage `award.decided`,
        plus `award.granted` with the new award when it is awarded."""
        outcome = decision.decide(choice, decided_by, utcnow())
        award = await self._grant_award(decision) if outcome == DecisionOutcome.AWARDED else None
        decision.award_id = award.id if award else None
        assert decision.decided_at is not None and decision.decided_by is not None
        self.uow.publish(
            AwardDecided(
                decision_id=decision.id,
                submission_id=decision.submission_id,
                attempt=decision.attempt,
                micro_credential_id=decision.micro_credential_id,
                outcome=outcome,
                note=decision.note,
                decided_by=decision.decided_by,
                award_id=decision.award_id,
                decided_at=decision.decided_at,
            )
        )
        if award is not None:
            self.uow.publish(_granted(award))
        await self.uow.flush()

    async def _grant_award(self, decision: Decision) -> Award:
        # One award per submission: the unique constraint backs this check up.
        if await self.uow.decisions.award_exists_for(decision.submission_id):
            raise Conflict(
                "already-awarded",
                "Submission already awarded",
                f"submission {decision.submission_id!r} already has an award",
            )
        award = Award.for_decision(decision)
        self.uow.decisions.add(award)
        return award


def _owned_by(caller_issuer_id: str, decision_id: str, decision: Decision | None) -> Decision:
    if decision is None:
        raise NotFound("decision", decision_id)
    if decision.issuer_id != caller_issuer_id:
        raise Forbidden("this decision is on another issuer's micro-credential")
    return decision


def _granted(award: Award) -> AwardGranted:
    return AwardGranted(
        award_id=award.id,
        submission_id=award.submission_id,
        attempt=award.attempt,
        micro_credential_id=award.micro_credential_id,
        micro_credential_version=award.micro_credential_version,
        issuer_id=award.issuer_id,
        results=award.results,
        awarded_at=award.awarded_at,
    )
