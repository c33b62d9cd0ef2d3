"""Attempts belong to the earner and the micro-credential, not to one submission: which
attempt a new submission starts at, or why the earner may not start one now.

An earner's submissions for a micro-credential follow each other (at most one is open), and
their attempts are numbered on from one submission to the next: a platform cannot get fresh
attempts by opening a new submission. A round of attempts ends with a final denial, or once
every attempt was used; then the issuer's `restart_after_days` says when the earner may start
a new round at attempt 1 (never when it is None). An award ends the path for good.
"""

from datetime import datetime, timedelta

from awardpath_shared.errors import Conflict
from awardpath_shared.vocabulary import SubmissionStatus
from awardpath_submission.catalog.models import MicroCredential
from awardpath_submission.intake.models import Submission


def first_attempt(latest: Submission | None, micro_credential: MicroCredential, now: datetime) -> int:
    """The attempt a new submission starts at, after the earner's `latest` submission for the
    micro-credential (None: their first); a Conflict naming that submission otherwise."""
    if latest is None:
        return 1
    if not latest.status.is_final:
        raise open_submission(latest)
    if latest.status == SubmissionStatus.AWARDED:
        raise Conflict(
            "already-awarded",
            "Micro-credential already awarded",
            f"the earner was awarded this micro-credential (submission {latest.id})",
            awarded_submission_id=latest.id,
        )
    max_attempts = micro_credential.max_attempts
    if latest.status == SubmissionStatus.WITHDRAWN and latest.current_attempt < max_attempts:
        return latest.current_attempt + 1  # the round goes on where the withdrawn one stopped
    ended = "was denied" if latest.status == SubmissionStatus.DENIED else "used the last attempt"
    what = f"submission {latest.id} {ended} ({latest.current_attempt} of {max_attempts} attempts)"
    days = micro_credential.restart_after_days
    if days is None:
        raise Conflict(
            "restart-not-allowed",
            "The earner may not start again",
            f"{what}; the issuer does not let an earner start this micro-credential again",
            last_submission_id=latest.id,
        )
    restart_at = (latest.ended_at or latest.updated_at) + timedelta(days=days)
    if now < restart_at:
        raise Conflict(
            "restart-not-yet",
            "Too early to start again",
            f"{what}; the issuer lets the earner start again {days} days after that, from {restart_at.isoformat()}",
            last_submission_id=latest.id,
            restart_allowed_at=restart_at.isoformat(),
        )
    return 1


def open_submission(open_one: Submission) -> Conflict:
    """The earner has this submission open for the micro-credential: no second one."""
    return Conflict(
        "open-submission",
        "The earner has an open submission",
        f"submission {open_one.id} for this micro-credential is {open_one.status}; an earner has one open "
        "submission per micro-credential: resubmit to it when resubmission is open, or withdraw it first",
        open_submission_id=open_one.id,
        submission_status=open_one.status.value,
    )
