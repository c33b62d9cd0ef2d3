"""The rules of a decision: which outcome a choice has, and what the auto policy chooses."""

from dataclasses import dataclass
from enum import StrEnum

from awardpath_shared.rubrics import Recommendation
from awardpath_shared.vocabulary import DecisionOutcome


class DecisionChoice(StrEnum):
    AWARD = "award"
    DENY = "deny"


@dataclass(frozen=True)
class Choice:
    """What a decider chose: award, or deny with or without resubmission, and a note."""

    decision: DecisionChoice
    resubmission_allowed: bool = False
    note: str | None = None


def decision_outcome(
    choice: DecisionChoice, resubmission_allowed: bool, attempt: int, max_attempts: int
) -> DecisionOutcome:
    """An award is awarded; a deny opens resubmission when asked and attempts remain."""
    if choice == DecisionChoice.AWARD:
        return DecisionOutcome.AWARDED
    if resubmission_allowed and attempt < max_attempts:
        return DecisionOutcome.RESUBMISSION_OPEN
    return DecisionOutcome.DENIED


def auto_policy_choice(recommendation: Recommendation) -> Choice:
    """The auto policy accepts the assessor's recommendation as it is."""
    if recommendation == Recommendation.AWARD:
        return Choice(DecisionChoice.AWARD)
    return Choice(DecisionChoice.DENY, resubmission_allowed=True)
