"""The issuer's decision on each assessed attempt, and the awards it grants."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from awardpath_award.catalog.models import MicroCredentialVersion
from awardpath_award.database import Base
from awardpath_award.decisions.policy import Choice, DecisionChoice, decision_outcome
from awardpath_shared.db import EnumText, PydanticJson, UtcDateTime
from awardpath_shared.errors import Conflict
from awardpath_shared.ids import new_id
from awardpath_shared.rubrics import FileRef, Recommendation, SectionResult
from awardpath_shared.states import advance
from awardpath_shared.vocabulary import DecidedBy, DecisionOutcome


class DecisionState(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    CANCELLED = "cancelled"  # the platform withdrew the submission before a decision


TRANSITIONS = {DecisionState.PENDING: frozenset({DecisionState.DECIDED, DecisionState.CANCELLED})}


class Decision(Base):
    """The issuer's decision on one attempt, pending until the issuer (or policy) decides."""

    __tablename__ = "decisions"
    __table_args__ = (
        # One decision per attempt, even if the assessment is delivered twice.
        UniqueConstraint("submission_id", "attempt"),
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["micro_credential_versions.micro_credential_id", "micro_credential_versions.version"],
        ),
        CheckConstraint("state in ('pending', 'decided', 'cancelled')", name="state"),
        Index("ix_decisions_issuer_id_state_id", "issuer_id", "state", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Opaque id of the assessment's review; the assessor's identity never reaches us.
    review_id: Mapped[str] = mapped_column(String(100))
    submission_id: Mapped[str] = mapped_column(String(100))
    attempt: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(String(36))
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    recommendation: Mapped[Recommendation] = mapped_column(EnumText(Recommendation, 20))
    # The assessor's results: a level and feedback per section.
    sections: Mapped[list[SectionResult]] = mapped_column(PydanticJson(list[SectionResult]))
    # The assessor's private note to the issuer (never sent on to the earner).
    assessor_note: Mapped[str | None] = mapped_column(Text)
    # The attempt's evidence files, for the issuer to open while deciding.
    files: Mapped[list[FileRef]] = mapped_column(PydanticJson(list[FileRef]), default=list, server_default="[]")
    state: Mapped[DecisionState] = mapped_column(EnumText(DecisionState, 20))
    decision: Mapped[DecisionChoice | None] = mapped_column(EnumText(DecisionChoice, 10))
    resubmission_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[DecisionOutcome | None] = mapped_column(EnumText(DecisionOutcome, 30))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[DecidedBy | None] = mapped_column(EnumText(DecidedBy, 10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    award_id: Mapped[str | None] = mapped_column(String(36))

    # The exact definition the attempt was assessed against (title, max_attempts).
    definition: Mapped[MicroCredentialVersion] = relationship(lazy="raise")

    def decide(self, choice: Choice, decided_by: DecidedBy, now: datetime) -> DecisionOutcome:
        """Decide once: the outcome of `choice` on this attempt. A deny asking for a
        resubmission on the last attempt is final, and its note says so."""
        if self.state == DecisionState.DECIDED:
            raise Conflict(
                "decision-already-made",
                "Decision already made",
                f"decision {self.id!r} was already decided: {self.outcome}",
            )
        if self.state == DecisionState.CANCELLED:
            raise Conflict(
                "decision-cancelled",
                "Decision cancelled",
                f"decision {self.id!r} was cancelled: the platform withdrew the submission",
                state=self.state,
            )
        max_attempts = self.definition.max_attempts
        outcome = decision_outcome(choice.decision, choice.resubmission_allowed, self.attempt, max_attempts)
        note = choice.note
        if choice.decision == DecisionChoice.DENY and choice.resubmission_allowed and outcome == DecisionOutcome.DENIED:
            note = _joined(note, f"Resubmission is not open: attempt {self.attempt} was the last of {max_attempts}.")
        self.state = advance("decision", self.state, DecisionState.DECIDED, TRANSITIONS)
        self.decision = choice.decision
        self.resubmission_allowed = outcome == DecisionOutcome.RESUBMISSION_OPEN
        self.outcome = outcome
        self.note = note
        self.decided_by = decided_by
        self.decided_at = now
        return outcome

    def cancel(self, now: datetime) -> None:
        """The platform withdrew the submission: a pending decision is never made."""
        self.state = advance("decision", self.state, DecisionState.CANCELLED, TRANSITIONS)
        self.cancelled_at = now


def _joined(note: str | None, addition: str) -> str:
    return f"{note}\n{addition}" if note else addition


class Award(Base):
    """An awarded attempt: what credential issuance signs. At most one per submission."""

    __tablename__ = "awards"
    __table_args__ = (
        ForeignKeyConstraint(
            ["micro_credential_id", "micro_credential_version"],
            ["micro_credential_versions.micro_credential_id", "micro_credential_versions.version"],
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), unique=True)
    submission_id: Mapped[str] = mapped_column(String(100), unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    micro_credential_id: Mapped[str] = mapped_column(String(36))
    micro_credential_version: Mapped[int] = mapped_column(Integer)
    issuer_id: Mapped[str] = mapped_column(ForeignKey("issuers.id"))
    results: Mapped[list[SectionResult]] = mapped_column(PydanticJson(list[SectionResult]))
    awarded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @classmethod
    def for_decision(cls, decision: Decision) -> "Award":
        """The award an awarded decision grants: the assessor's results, when decided."""
        assert decision.decided_at is not None
        return cls(
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


class Withdrawal(Base):
    """A submission its platform withdrew: an assessment of it arriving later opens no
    decision, and its award (if one was decided before the withdrawal reached us) is not
    issued, or its credential is revoked."""

    __tablename__ = "withdrawals"

    submission_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    withdrawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
