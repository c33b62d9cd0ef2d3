"""The assessor's release buttons offer every reason the assessment API takes, and no other
(a reason it does not know would be refused; one it knows and the page lacks, never offered)."""

from awardpath.workspace.pages import RELEASE_REASONS
from awardpath_assessment.assignment.models import ReleaseReason


def test_the_release_buttons_offer_exactly_the_reasons_the_api_takes():
    assert set(RELEASE_REASONS) == {reason.value for reason in ReleaseReason}
